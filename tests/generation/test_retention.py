"""Retention: exactly what goes (files of unkept superseded versions, payloads of runs nobody kept) and what stays."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alain_site.accounts.tokens import create_token
from generation import retention
from generation.models import Artifact, NotebookVersion, Run, RunStatus, TeacherCall
from generation.pipeline.runner import execute_run
from generation.services import section_regenerate
from providers.demo import DemoTeacher
from review import models as review_models
from review import services as review_services
from review.exports import export_bundle
from review.models import AuditEntry, ExportRecord
from tests.generation.factories import make_run
from tests.review.factories import People, latest, people_fixture, review_of, reviewed_run  # noqa: F401

pytestmark = pytest.mark.django_db

OLD, RECENT = 45, 2  # days: beyond and within the default 30-day window


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def next_version(run: Run) -> NotebookVersion:
    """A regeneration through the pipeline: a new published version that supersedes the last."""
    section_regenerate(run=run, index=0)
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    return latest(run)


def backdate(run: Run, *, finished: float, versions: dict[int, float]) -> None:
    """Move a run's end and its versions' creation `days` into the past."""
    Run.objects.filter(pk=run.pk).update(finished_at=days_ago(finished))
    for number, days in versions.items():
        NotebookVersion.objects.filter(run=run, number=number).update(created_at=days_ago(days))


def approve(run: Run, people: People) -> None:
    review = review_services.claim(review_of(latest(run)), people.reviewer)
    review_services.approve(review, people.reviewer, expected_sha256=latest(run).sha256, comment="Good.")


def reject(run: Run, people: People) -> None:
    review = review_services.claim(review_of(latest(run)), people.reviewer)
    review_services.reject(review, people.reviewer, expected_sha256=latest(run).sha256, comment="Off topic.")


def failed_run(people: People, *, days: float, calls: int = 3) -> Run:
    """A run that failed before building a notebook, with its teacher calls recorded."""
    run = make_run(created_by=people.author, team=people.team_a)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=days_ago(days), error_kind="teacher")
    for attempt in range(1, calls + 1):
        TeacherCall.objects.create(
            run=run,
            stage="outline",
            attempt=attempt,
            provider="demo",
            model="alain-demo",
            outcome="schema_invalid",
            latency_ms=120,
            request_messages=[{"role": "user", "content": f"Plan a manual, attempt {attempt}."}],
            response_text='{"title": "half a plan"',
        )
    run.refresh_from_db()
    return run


@dataclass
class World:
    withdrawn: Run  # v1 approved, approval withdrawn when v2 (pending review) arrived; all old
    exported: Run  # v1 approved and exported, then superseded by v2; all old
    superseded: Run  # v1 superseded long ago by v2, which waits for review
    rejected: Run  # v1 superseded long ago by v2, which was rejected: nothing kept
    recent: Run  # v1 superseded two days ago
    failed_old: Run  # failed 45 days ago, no notebook
    failed_recent: Run  # failed 2 days ago
    failed_published: Run  # v1 rejected, then a regeneration failed 45 days ago


@pytest.fixture
def world(people: People) -> World:
    withdrawn = reviewed_run(people)
    approve(withdrawn, people)
    next_version(withdrawn)
    backdate(withdrawn, finished=OLD, versions={1: OLD + 5, 2: OLD})

    exported = reviewed_run(people)
    approve(exported, people)
    export_bundle(exported, people.author)
    next_version(exported)
    backdate(exported, finished=OLD, versions={1: OLD + 5, 2: OLD})

    superseded = reviewed_run(people)
    next_version(superseded)
    backdate(superseded, finished=OLD, versions={1: OLD + 5, 2: OLD})

    rejected = reviewed_run(people)
    next_version(rejected)
    reject(rejected, people)
    backdate(rejected, finished=OLD, versions={1: OLD + 5, 2: OLD})

    recent = reviewed_run(people)
    next_version(recent)
    backdate(recent, finished=RECENT, versions={1: OLD, 2: RECENT})

    failed_published = reviewed_run(people)
    reject(failed_published, people)
    Run.objects.filter(pk=failed_published.pk).update(status=RunStatus.FAILED)
    backdate(failed_published, finished=OLD, versions={1: OLD + 5})

    # The world is what its comments say.
    withdrawn_approval = review_models.Approval.objects.get(run=withdrawn)
    assert withdrawn_approval.version.number == 1 and withdrawn_approval.withdrawn_at is not None
    assert list(ExportRecord.objects.values_list("run_id", "version__number")) == [(exported.pk, 1)]
    assert review_of(latest(superseded)).state == review_models.ReviewState.PENDING
    assert review_of(latest(rejected)).state == review_of(latest(failed_published)).state == "rejected"
    return World(
        withdrawn=withdrawn,
        exported=exported,
        superseded=superseded,
        rejected=rejected,
        recent=recent,
        failed_old=failed_run(people, days=OLD),
        failed_recent=failed_run(people, days=RECENT),
        failed_published=failed_published,
    )


def files_of(run: Run, number: int) -> list[Artifact]:
    files = list(Artifact.objects.filter(run=run, version__number=number))
    assert len(files) >= 10, "a published version has its notebook, reports, research, outline and sections"
    return files


def present(run: Run, number: int) -> bool:
    """Whether every file of the version is in storage (and none marked purged), or none is (all marked)."""
    files = files_of(run, number)
    states = {(default_storage.exists(a.path), a.purged_at is None) for a in files}
    assert len(states) == 1 and states <= {(True, True), (False, False)}, (run.tutorial_id, number, states)
    return states == {(True, True)}


def payloads_emptied(run: Run) -> bool:
    calls = list(TeacherCall.objects.filter(run=run))
    assert calls, "every run of the world made teacher calls"
    emptied = {(c.request_messages == [] and c.response_text == "" and c.payload_purged_at is not None) for c in calls}
    kept = {bool(c.request_messages) and bool(c.response_text) and c.payload_purged_at is None for c in calls}
    assert len(emptied) == 1 and emptied != kept, (run.tutorial_id, emptied, kept)
    return emptied == {True}


def snapshot() -> dict[str, Any]:
    """Every row retention must leave alone, as it is."""
    return {
        "audit": list(AuditEntry.objects.order_by("id").values()),
        "artifacts": list(
            Artifact.objects.order_by("id").values("id", "run_id", "version_id", "path", "sha256", "size")
        ),
        "versions": list(NotebookVersion.objects.order_by("id").values("id", "sha256", "ipynb")),
        "calls": list(TeacherCall.objects.order_by("id").values("id", "stage", "attempt", "outcome", "latency_ms")),
        "runs": list(Run.objects.order_by("id").values("id", "status", "finished_at")),
        "approvals": list(review_models.Approval.objects.order_by("id").values()),
        "exports": list(ExportRecord.objects.order_by("id").values()),
        "reviews": list(review_models.Review.objects.order_by("id").values("id", "state")),
    }


def test_the_open_review_states_are_the_review_apps():
    assert set(retention.OPEN_REVIEW_STATES) == set(review_models.OPEN_STATES)


def test_retention_purges_exactly_the_unkept_superseded_files_and_the_payloads_of_runs_nobody_kept(world):
    before = snapshot()
    before_calls = list(TeacherCall.objects.filter(run=world.failed_old))
    report = retention.retention_purge()

    # Files: only v1 of the superseded and of the rejected run (superseded 45 days ago, never kept).
    assert not present(world.superseded, 1) and present(world.superseded, 2)
    assert not present(world.rejected, 1) and present(world.rejected, 2)
    # A withdrawn approval and an export keep a version; so does being superseded only recently.
    for run in (world.withdrawn, world.exported, world.recent):
        assert present(run, 1) and present(run, 2), run.tutorial_id
    # The latest version stays even in a run that failed long ago.
    assert present(world.failed_published, 1)

    # Payloads: runs that keep nothing (no approval, export or open review) and ended before the window.
    emptied = {run.tutorial_id for run in Run.objects.all() if payloads_emptied(run)}
    assert emptied == {world.rejected.tutorial_id, world.failed_old.tutorial_id, world.failed_published.tutorial_id}
    assert not payloads_emptied(world.superseded)  # v2 still waits for review
    assert not payloads_emptied(world.failed_recent)
    assert not payloads_emptied(world.withdrawn) and not payloads_emptied(world.exported)

    # No row went or changed: only files and payload columns.
    assert snapshot() == before

    gone = Artifact.objects.filter(purged_at__isnull=False)
    assert set(gone.values_list("run__tutorial_id", "version__number").distinct()) == {
        (world.superseded.tutorial_id, 1),
        (world.rejected.tutorial_id, 1),
    }
    assert (report.files, report.bytes, report.versions) == (gone.count(), sum(a.size for a in gone), 2)
    emptied_calls = TeacherCall.objects.filter(payload_purged_at__isnull=False)
    assert report.teacher_calls == emptied_calls.count() > 0
    assert set(report.runs) == {
        world.superseded.tutorial_id,
        world.rejected.tutorial_id,
        world.failed_old.tutorial_id,
        world.failed_published.tutorial_id,
    }
    assert report.runs[world.failed_old.tutorial_id].as_dict() == {
        "tutorial_id": world.failed_old.tutorial_id,
        "status": "failed",
        "versions": [],
        "files": 0,
        "bytes": 0,
        "teacher_calls": 3,
        "payload_bytes": sum(
            len(json.dumps(call.request_messages).encode()) + len(call.response_text.encode()) for call in before_calls
        ),
    }
    assert report.errors == []

    # A second purge finds nothing left and changes nothing.
    again = retention.retention_purge()
    assert (again.files, again.teacher_calls, again.runs) == (0, 0, {})
    assert snapshot() == before


def test_a_dry_run_lists_what_would_go_and_deletes_nothing(world):
    before = snapshot()
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("alain", "purge", "--dry-run", "--json", stdout=stdout, stderr=stderr)
    listed = json.loads(stdout.getvalue())

    assert snapshot() == before
    assert not Artifact.objects.filter(purged_at__isnull=False).exists()
    assert not TeacherCall.objects.filter(payload_purged_at__isnull=False).exists()
    for run in (world.superseded, world.rejected):
        assert present(run, 1)
    assert (listed["dry_run"], listed["older_than"], listed["versions"]) == (True, "30d", 2)
    assert {(r["tutorial_id"], tuple(r["versions"])) for r in listed["runs"]} == {
        (world.superseded.tutorial_id, (1,)),
        (world.rejected.tutorial_id, (1,)),
        (world.failed_old.tutorial_id, ()),
        (world.failed_published.tutorial_id, ()),
    }
    assert stderr.getvalue().startswith(f"Would purge {listed['files']} files")

    # The real purge then does exactly what the dry run listed.
    done = io.StringIO()
    call_command("alain", "purge", "--json", stdout=done, stderr=io.StringIO())
    purged = json.loads(done.getvalue())
    assert {k: v for k, v in purged.items() if k not in {"dry_run", "cutoff"}} == {
        k: v for k, v in listed.items() if k not in {"dry_run", "cutoff"}
    }


def test_the_window_comes_from_the_setting_or_the_command(people, settings):
    run = failed_run(people, days=10)
    settings.ALAIN = {**settings.ALAIN, "RETENTION_DAYS": 30}
    assert retention.retention_purge(dry_run=True).runs == {}
    settings.ALAIN = {**settings.ALAIN, "RETENTION_DAYS": 7}
    assert set(retention.retention_purge(dry_run=True).runs) == {run.tutorial_id}

    out = io.StringIO()
    call_command("alain", "purge", "--dry-run", "--older-than", "2w", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""  # nothing is 2 weeks old
    call_command("alain", "purge", "--older-than", "9d", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith(f"{run.tutorial_id} [failed]: 3 teacher-call payloads (")
    assert payloads_emptied(run)


def test_retention_set_to_zero_keeps_everything_unless_the_command_asks(people, settings):
    run = failed_run(people, days=400)
    settings.ALAIN = {**settings.ALAIN, "RETENTION_DAYS": 0}
    err = io.StringIO()
    call_command("alain", "purge", stdout=io.StringIO(), stderr=err)
    assert "Retention is off (ALAIN_RETENTION_DAYS=0): nothing was purged." in err.getvalue()
    assert not payloads_emptied(run)
    call_command("alain", "purge", "--older-than", "365d", stdout=io.StringIO(), stderr=io.StringIO())
    assert payloads_emptied(run)


@pytest.mark.parametrize(
    ("age", "message"),
    [
        ("soon", "'soon' is not an age such as 30d, 12h or 2w"),
        ("0d", "The age must be at least 1h; to keep everything, set ALAIN_RETENTION_DAYS=0"),
        ("-3d", "'-3d' is not an age"),
        ("30m", "'30m' is not an age"),
    ],
)
def test_a_bad_age_is_a_usage_error(db, age, message):
    with pytest.raises(CommandError) as info:
        call_command("alain", "purge", f"--older-than={age}", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 2
    assert str(info.value).startswith("Usage error: --older-than: ") and message in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)), ("45", timedelta(days=45))],
)
def test_ages_read_as_hours_days_weeks_or_bare_days(text, expected):
    assert retention.parse_age(text) == expected


@pytest.fixture
def purged(people: People) -> Run:
    """A run whose v1 was superseded 45 days ago and purged; v2 is rejected and kept as the latest."""
    run = old_rejected_run(people)
    report = retention.retention_purge()
    assert report.versions == 1 and not present(run, 1)
    return run


def test_the_api_answers_410_for_a_purged_artifact_and_serves_the_kept_one(purged, people):
    _, key = create_token(people.author, name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    base = f"/api/runs/{purged.tutorial_id}/artifacts"

    for kind, query in (("notebook", {}), ("manifest", {}), ("section", {"step": 2})):
        response = api.get(f"{base}/{kind}", {"version": 1, **query})
        assert response.status_code == 410, response.content
        body = response.json()
        assert body["code"] == "purged"
        assert f"of version 1 of run {purged.tutorial_id} was deleted by the retention policy on " in body["message"]
        artifact = Artifact.objects.get(
            run=purged, version__number=1, kind=kind, **({"name": "sections/02.json"} if query else {})
        )
        assert artifact.sha256 in body["message"]

    kept = api.get(f"{base}/notebook", {"version": 2})
    assert kept.status_code == 200
    assert b"".join(kept.streaming_content) == latest(purged).ipynb.encode("utf-8")
    assert api.get(f"{base}/notebook").status_code == 200  # the latest, by default

    listed = api.get(f"/api/runs/{purged.tutorial_id}").json()["artifacts"]
    assert {a["version"] for a in listed if a["purged_at"]} == {1}
    assert all(a["purged_at"] is None for a in listed if a["version"] == 2)

    schema = Client().get("/api/openapi.json").json()
    route = schema["paths"]["/api/runs/{ref}/artifacts/{kind}"]["get"]
    assert "410" in route["responses"]


def test_the_portal_answers_410_with_a_page_that_says_why(purged, people):
    client = Client()
    client.force_login(people.author)
    gone = Artifact.objects.get(run=purged, version__number=1, name="notebook.ipynb")
    response = client.get(reverse("portal:artifact", args=[purged.tutorial_id, gone.pk]))
    assert response.status_code == 410
    page = response.content.decode()
    assert "This file was deleted" in page
    assert f"notebook.ipynb of version 1 of run {purged.tutorial_id} was deleted by the retention policy" in page
    assert reverse("portal:notebook", args=[purged.tutorial_id, 1]) in page

    kept = Artifact.objects.get(run=purged, version__number=2, name="notebook.ipynb")
    response = client.get(reverse("portal:artifact", args=[purged.tutorial_id, kept.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == latest(purged).ipynb.encode("utf-8")


def test_a_file_exported_after_the_listing_is_not_purged(people):
    # The claim repeats every condition: a version kept meanwhile is left alone.
    run = old_rejected_run(people)
    cutoff = days_ago(30)
    listed = list(retention.expired_artifacts(cutoff))
    assert {a.version.number for a in listed} == {1}
    v1 = run.versions.get(number=1)
    ExportRecord.objects.create(run=run, version=v1, via="api", sha256=v1.sha256)

    errors: list[str] = []
    assert not retention._purge_file(listed[0], cutoff=cutoff, now=timezone.now(), errors=errors)
    assert present(run, 1) and errors == []
    assert retention.retention_purge().files == 0


def test_a_file_the_storage_fails_to_delete_stays_recorded_and_the_command_fails(people, monkeypatch):
    run = old_rejected_run(people)
    broken = Artifact.objects.get(run=run, version__number=1, name="metrics.json")
    real_delete = type(default_storage._wrapped).delete

    def delete(storage, name):
        if name == broken.path:
            raise PermissionError("read-only bucket")
        return real_delete(storage, name)

    monkeypatch.setattr(type(default_storage._wrapped), "delete", delete)
    with pytest.raises(CommandError) as info:
        call_command("alain", "purge", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 1
    assert "1 file could not be deleted." in str(info.value)
    broken.refresh_from_db()
    assert broken.purged_at is None and default_storage.exists(broken.path)
    others = Artifact.objects.filter(run=run, version__number=1).exclude(pk=broken.pk)
    assert all(a.purged_at is not None and not default_storage.exists(a.path) for a in others)

    monkeypatch.setattr(type(default_storage._wrapped), "delete", real_delete)
    assert retention.retention_purge().files == 1  # the next purge finishes the job
    broken.refresh_from_db()
    assert broken.purged_at is not None and not default_storage.exists(broken.path)


def old_rejected_run(people: People) -> Run:
    """v1 superseded 45 days ago by v2, which was rejected: by itself, nothing keeps it."""
    run = reviewed_run(people)
    next_version(run)
    reject(run, people)
    backdate(run, finished=OLD, versions={1: OLD + 5, 2: OLD})
    return run


def test_an_export_alone_keeps_its_version_and_the_runs_payloads(people):
    # Exports need an approval today; the rule must not lean on that.
    run = old_rejected_run(people)
    v1 = run.versions.get(number=1)
    ExportRecord.objects.create(run=run, version=v1, via="api", sha256=v1.sha256)
    assert not review_models.Approval.objects.filter(run=run).exists()
    assert retention.retention_purge().runs == {}
    assert present(run, 1) and not payloads_emptied(run)
    # Nor does a failed run give up the payloads of a version it exported.
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    assert retention.retention_purge().runs == {}
    assert not payloads_emptied(run)


def test_a_superseded_version_still_under_review_is_kept(people):
    # Cannot happen through the services (a new version supersedes the old review); kept as a guard.
    run = old_rejected_run(people)
    review_models.Review.objects.filter(version__run=run, version__number=1).update(state="in_review")
    report = retention.retention_purge()
    assert report.runs == {}
    assert present(run, 1) and not payloads_emptied(run)


def test_files_of_no_version_go_with_an_old_failed_run_only(people):
    def stray_file(run: Run) -> Artifact:
        path = default_storage.save(f"runs/{run.tutorial_id}/research.json", io.BytesIO(b'{"card": "..."}'))
        return Artifact.objects.create(
            run=run, kind="research", name="research.json", path=path, sha256="0" * 64, size=15
        )

    old, recent = failed_run(people, days=OLD), failed_run(people, days=RECENT)
    gone, kept = stray_file(old), stray_file(recent)
    report = retention.retention_purge()
    assert report.runs[old.tutorial_id].as_dict()["files"] == 1 and recent.tutorial_id not in report.runs
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert gone.purged_at is not None and not default_storage.exists(gone.path)
    assert kept.purged_at is None and default_storage.exists(kept.path)
