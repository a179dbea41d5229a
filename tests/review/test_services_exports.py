"""Gated exports, version diffs and the audit trail."""

from __future__ import annotations

import io
import json
import zipfile

import nbformat
import pytest

from generation.models import NotebookVersion, TeacherCall
from generation.pipeline import assembly
from review import services
from review.audit import audit_trail
from review.diffs import changes_since_approved, diff_versions, summarize
from review.exports import NotApproved, export_bundle
from review.models import AppendOnly, AuditEntry, ExportRecord
from tests.review.factories import latest, mark_validated, people_fixture, review_of, run_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def approve_latest(run, reviewer):
    review = services.claim(review_of(latest(run)), reviewer)
    return services.approve(review, reviewer, expected_sha256=latest(run).sha256, comment="Good.")


# --- exports ----------------------------------------------------------------------------------


def test_an_unapproved_run_is_not_exported_and_nothing_is_recorded(people, run):
    with pytest.raises(
        NotApproved, match=r"Version 1 is waiting for review\. Only approved versions can be exported\."
    ):
        export_bundle(run, people.author)
    assert not ExportRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="exported").exists()


def test_the_refusal_says_why_the_run_is_not_approved(people, run):
    review = services.claim(review_of(latest(run)), people.reviewer)
    with pytest.raises(NotApproved, match="being reviewed by rita"):
        export_bundle(run, people.author)
    services.request_changes(review, people.reviewer, expected_sha256=latest(run).sha256, comment="Shorter steps.")
    with pytest.raises(NotApproved, match=r"rita requested changes to version 1: Shorter steps\."):
        export_bundle(run, people.author)


def test_an_approved_version_exports_as_a_zip_and_the_export_is_recorded(people, run):
    approval = approve_latest(run, people.reviewer)
    version = latest(run)
    data, filename = export_bundle(run, people.author, via="api")
    assert filename == f"{run.tutorial_id}-v1.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        files = {name: archive.read(name) for name in names}
    assert names == [".env.example", "manifest.json", "metrics.json", "notebook.ipynb", "validation.md"]
    assert files["notebook.ipynb"] == version.ipynb.encode("utf-8")
    assert b"OPENAI_API_KEY=" in files[".env.example"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["version"] == 1 and manifest["approval"]["sha256"] == approval.sha256
    assert manifest["approval"]["approved_by"] == "rita"
    assert {f["name"] for f in manifest["files"]} == {".env.example", "metrics.json", "notebook.ipynb", "validation.md"}
    record = ExportRecord.objects.get()
    assert (record.run, record.version, record.exported_by, record.via, record.sha256) == (
        run,
        version,
        people.author,
        "api",
        version.sha256,
    )
    entry = AuditEntry.objects.get(action="exported")
    assert entry.actor == people.author and entry.data["filename"] == filename
    # The same approved version zips to the same bytes.
    assert export_bundle(run, people.author)[0] == data


def test_an_edit_after_approval_stops_exports(people, run):
    approve_latest(run, people.reviewer)
    services.edit_cell(latest(run), people.author, index=0, source="# Changed", reason="r")
    with pytest.raises(NotApproved, match=r"The approval of version 1 was withdrawn .*version 2"):
        export_bundle(run, people.author)


def test_bytes_changed_after_approval_are_not_exported(people, run):
    approve_latest(run, people.reviewer)
    NotebookVersion.objects.filter(pk=latest(run).pk).update(sha256="f" * 64)
    with pytest.raises(NotApproved, match="changed after it was approved"):
        export_bundle(run, people.author)
    assert not ExportRecord.objects.exists()


def test_someone_who_cannot_see_the_run_cannot_export_it(people, run):
    approve_latest(run, people.reviewer)
    with pytest.raises(services.NotAllowed):
        export_bundle(run, people.outsider)


# --- diffs ------------------------------------------------------------------------------------


def with_outputs(version: NotebookVersion, index: int, text: str) -> NotebookVersion:
    nb = nbformat.reads(version.ipynb, as_version=4)
    nb.cells[index].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    data = assembly.notebook_to_bytes(nb)
    return NotebookVersion.objects.create(
        run=version.run, number=version.number + 1, ipynb=data.decode(), sha256="x" * 64, reason="outputs"
    )


def code_index(version: NotebookVersion) -> int:
    return next(i for i, c in enumerate(nbformat.reads(version.ipynb, as_version=4).cells) if c.cell_type == "code")


def test_a_diff_finds_the_modified_cell_with_its_old_and_new_source(people, run):
    v1 = latest(run)
    index = code_index(v1)
    v2 = services.edit_cell(v1, people.reviewer, index=index, source="print('new')", reason="r")
    rows = diff_versions(v1, v2)
    modified = [row for row in rows if row["status"] == "modified"]
    edited = next(row for row in modified if row["old_index"] == index)
    assert edited["new_source"] == "print('new')" and edited["old_source"] != "print('new')"
    assert edited["source_changed"] and any(line == "+print('new')" for line in edited["source_diff"])
    # Only the edited cell and the metadata cell (its version number) changed.
    assert len(modified) == 2
    assert len(rows) == len(nbformat.reads(v1.ipynb, as_version=4).cells)
    summary = summarize(rows)
    assert summary["modified"] == 2 and summary["added"] == summary["removed"] == 0
    assert summary["text"] == "2 modified."


def test_a_diff_finds_added_removed_and_moved_cells(people, run):
    v1 = latest(run)
    v2 = services.add_cell(v1, people.reviewer, index=1, cell_type="markdown", source="New note", reason="r")
    v3 = services.remove_cell(v2, people.reviewer, index=3, reason="r")
    rows = diff_versions(v1, v3)
    added = [row for row in rows if row["status"] == "added"]
    removed = [row for row in rows if row["status"] == "removed"]
    assert [(row["new_index"], row["new_source"]) for row in added] == [(1, "New note")]
    assert [row["old_index"] for row in removed] == [2]
    # Either direction works.
    back = summarize(diff_versions(v3, v1))
    assert (back["added"], back["removed"]) == (1, 1)


def test_a_diff_notices_changed_outputs(people, run):
    v1 = latest(run)
    index = code_index(v1)
    v2 = with_outputs(v1, index, "hello\n")
    v3 = with_outputs(v2, index, "goodbye\n")
    rows = diff_versions(v2, v3)
    [row] = [row for row in rows if row["outputs_changed"]]
    assert row["old_index"] == index and row["status"] == "modified" and not row["source_changed"]
    assert summarize(rows)["outputs_changed"] == 1
    assert "1 with changed outputs" in summarize(rows)["text"]


def test_changes_since_the_approved_version_for_the_queue(people, run):
    assert changes_since_approved(run)["text"] == "Never approved."
    approve_latest(run, people.reviewer)
    assert changes_since_approved(run)["text"] == "Version 1 is the one approved (approved)."
    services.edit_cell(latest(run), people.reviewer, index=0, source="# Changed", reason="r")
    changes = changes_since_approved(run)
    assert (changes["approved_version"], changes["latest_version"], changes["approval_live"]) == (1, 2, False)
    assert changes["summary"]["modified"] == 2
    assert changes["text"] == "Since approved version 1: 2 modified."


# --- the audit trail --------------------------------------------------------------------------


def test_the_audit_trail_holds_the_whole_story_without_secrets(people, run):
    TeacherCall.objects.filter(run=run).update(response_text="SECRET-REPLY-TEXT")
    approval = approve_latest(run, people.reviewer)
    export_bundle(run, people.author)
    v2 = services.edit_cell(latest(run), people.author, index=0, source="# Changed", reason="Better title")
    mark_validated(v2)
    trail = audit_trail(run)
    text = json.dumps(trail)  # JSON-serialisable
    assert "SECRET-REPLY-TEXT" not in text and "request_messages" not in text
    assert trail["generated"]["by"] == "alice" and trail["generated"]["team"] == "team-a"
    assert trail["generated"]["teacher"] == {"provider": "demo", "model": "alain-demo", "demo": True}
    assert trail["generated"]["prompt_versions"]["outline"] == "outline.v1"
    calls = trail["teacher_calls"]
    assert len(calls) == TeacherCall.objects.filter(run=run).count()
    assert set(calls[0]) >= {"stage", "attempt", "outcome", "latency_ms", "prompt_tokens", "completion_tokens"}
    assert [(v["number"], v["created_by"], v["reason"]) for v in trail["versions"]] == [
        (1, None, "generated"),
        (2, "alice", "Better title"),
    ]
    assert trail["versions"][0]["validators"]["placeholders"] == {"passed": True, "errors": 0, "warnings": 0}
    assert trail["versions"][1]["sha256"] == v2.sha256
    assert trail["decisions"] == [
        {
            "version": 1,
            "state": "approved",
            "claimed_by": "rita",
            "decided_by": "rita",
            "decided_at": trail["decisions"][0]["decided_at"],
            "comment": "Good.",
        }
    ]
    assert trail["approvals"][0]["sha256"] == approval.sha256 and trail["approvals"][0]["withdrawn_by"] == "alice"
    assert trail["exports"][0]["by"] == "alice"
    actions = [entry["action"] for entry in trail["entries"]]
    assert actions == [
        "entered_queue",
        "claimed",
        "approved",
        "exported",
        "approval_withdrawn",
        "cell_edited",
        "entered_queue",
    ]
    for entry in trail["entries"]:
        assert entry["at"]
        assert entry["actor"] == {"entered_queue": None, "claimed": "rita", "approved": "rita"}.get(
            entry["action"], "alice"
        )


def test_the_trail_lists_placeholder_and_secret_findings(people, run):
    from generation.models import Finding

    version = latest(run)
    Finding.objects.create(
        version=version,
        validator="secrets",
        code="secret-openai",
        severity="error",
        message="An OpenAI key (sk-...abcd) in cell 3.",
        cell_index=3,
    )
    Finding.objects.create(
        version=version,
        validator="placeholders",
        code="placeholder-todo",
        severity="error",
        message="TODO left in cell 4.",
        cell_index=4,
    )
    Finding.objects.create(version=version, validator="colab", code="x", severity="warning", message="w")
    safety = audit_trail(run)["safety_findings"]
    assert [(f["validator"], f["cell_index"]) for f in safety] == [("secrets", 3), ("placeholders", 4)]


def test_every_service_action_appears_exactly_once_with_actor_and_time(people, run):
    review = services.claim(review_of(latest(run)), people.reviewer)
    services.release(review, people.reviewer)
    review = services.claim(review_of(latest(run)), people.reviewer)
    v1 = latest(run)
    services.approve(review, people.reviewer, expected_sha256=v1.sha256)
    export_bundle(run, people.author)
    v2 = services.edit_cell(v1, people.reviewer, index=0, source="# A", reason="a")
    v3 = services.add_cell(v2, people.reviewer, index=1, cell_type="code", source="x = 1", reason="b")
    v4 = services.move_cell(v3, people.reviewer, index=1, to=2, reason="c")
    v5 = services.remove_cell(v4, people.reviewer, index=2, reason="d")
    services.request_revalidation(v5, people.reviewer)
    mark_validated(v5)
    review = services.claim(review_of(v5), people.second_reviewer)
    services.request_changes(review, people.second_reviewer, expected_sha256=v5.sha256, comment="More.")
    services.request_section_regeneration(run, people.author, index=0)
    counts = {}
    for entry in AuditEntry.objects.filter(run=run):
        assert entry.created_at is not None
        counts[entry.action] = counts.get(entry.action, 0) + 1
        if entry.action != "entered_queue":
            assert entry.actor is not None, entry.action
    assert counts == {
        "entered_queue": 5,
        "claimed": 3,
        "released": 1,
        "approved": 1,
        "exported": 1,
        "approval_withdrawn": 1,
        "cell_edited": 1,
        "cell_added": 1,
        "cell_moved": 1,
        "cell_removed": 1,
        "revalidation_queued": 1,
        "changes_requested": 1,
        "section_regenerate_requested": 1,
    }


def test_audit_entries_cannot_be_changed_or_deleted(people, run):
    entry = AuditEntry.objects.filter(run=run).first()
    entry.message = "rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(message="rewritten")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).message != "rewritten"


def test_deleting_a_user_keeps_their_audit_entries(people, run):
    services.claim(review_of(latest(run)), people.reviewer)
    people.reviewer.delete()
    entry = AuditEntry.objects.get(action="claimed")
    assert entry.actor is None and "rita" in entry.message
