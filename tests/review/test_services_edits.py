"""Editing a notebook in review: every change is a new version that is validated again and needs its own approval."""

from __future__ import annotations

import hashlib
import json
from unittest import mock

import nbformat
import pytest
from django_q.models import OrmQ

from generation import queueing
from generation.models import NotebookVersion, RunEvent, RunStatus, Section
from generation.pipeline import assembly
from review import services
from review.models import AuditEntry, ReviewState
from tests.review.factories import latest, mark_validated, people_fixture, review_of, run_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def cells(version: NotebookVersion) -> list:
    return nbformat.reads(version.ipynb, as_version=4).cells


def first_code_cell(version: NotebookVersion) -> int:
    return next(i for i, cell in enumerate(cells(version)) if cell.cell_type == "code")


def approve_latest(run, reviewer) -> None:
    review = services.claim(review_of(latest(run)), reviewer)
    services.approve(review, reviewer, expected_sha256=latest(run).sha256)


def test_editing_a_cell_makes_the_next_version_with_author_reason_and_sha256(
    people, run, django_capture_on_commit_callbacks
):
    v1 = latest(run)
    index = first_code_cell(v1)
    with django_capture_on_commit_callbacks(execute=True):
        v2 = services.edit_cell(v1, people.reviewer, index=index, source="print('fixed')", reason="Fix the import")
    assert (v2.number, v2.created_by, v2.reason, v2.validated, v2.passed) == (
        2,
        people.reviewer,
        "Fix the import",
        False,
        None,
    )
    data = v2.ipynb.encode("utf-8")
    assert v2.sha256 == hashlib.sha256(data).hexdigest()
    assert data == assembly.notebook_to_bytes(nbformat.reads(v2.ipynb, as_version=4))
    new, old = cells(v2), cells(v1)
    assert new[index].source == "print('fixed')" and new[index].outputs == [] and new[index].execution_count is None
    assert [
        c.source for i, c in enumerate(new) if i != index and "alain-metadata" not in c.metadata.get("tags", [])
    ] == [c.source for i, c in enumerate(old) if i != index and "alain-metadata" not in c.metadata.get("tags", [])]
    metadata = nbformat.reads(v2.ipynb, as_version=4).metadata["alain"]
    assert metadata["version"] == 2 and metadata["validator_summary"] == {}
    # The old version is untouched.
    assert NotebookVersion.objects.get(pk=v1.pk).ipynb == v1.ipynb
    # Revalidation is queued, and the new version waits in the queue unvalidated.
    assert [row.func() for row in OrmQ.objects.all()] == [queueing.REVALIDATE_TASK]
    assert [row.task["args"] for row in OrmQ.objects.all()] == [(v2.pk,)]
    assert RunEvent.objects.filter(run=run, kind="revalidation_queued").count() == 1
    assert review_of(v2).state == ReviewState.PENDING
    assert review_of(v1).state == ReviewState.SUPERSEDED
    entry = AuditEntry.objects.get(run=run, action="cell_edited")
    assert entry.actor == people.reviewer and entry.version == v2
    assert (
        entry.data["index"] == index and entry.data["sha256"] == v2.sha256 and entry.data["reason"] == "Fix the import"
    )


def test_editing_after_approval_withdraws_it(people, run):
    approve_latest(run, people.reviewer)
    v1 = latest(run)
    assert services.approved_version(run) == v1
    with mock.patch.object(queueing, "queue_revalidation") as queued:
        v2 = services.edit_cell(v1, people.author, index=0, source="# New title", reason="Retitle")
    queued.assert_called_once_with(v2)
    assert services.approved_version(run) is None
    approval = v1.approvals.get()
    assert (approval.withdrawn_by, approval.withdrawn_at is not None) == (people.author, True)
    withdrawn = AuditEntry.objects.get(run=run, action="approval_withdrawn")
    assert withdrawn.actor == people.author and withdrawn.version == v1
    assert review_of(v1).state == ReviewState.APPROVED, "the decision on version 1 stays in the history"
    assert review_of(v2).state == ReviewState.PENDING


def test_the_new_version_needs_its_own_approval_once_revalidated(people, run):
    v1 = latest(run)
    services.claim(review_of(v1), people.reviewer)
    source = cells(v1)[0].source + "\n\nReviewed for accuracy."
    v2 = services.edit_cell(v1, people.reviewer, index=0, source=source, reason="Add a note")
    review = review_of(v2)
    assert review.claimed_by == people.reviewer, "the claim follows the reviewer to the new version"
    with pytest.raises(services.NotApprovable, match="still being validated"):
        services.approve(review, people.reviewer, expected_sha256=v2.sha256)
    queueing.revalidate(v2.pk)  # what the background task does
    v2.refresh_from_db()
    assert v2.validated and v2.passed is True, list(v2.findings.values_list("message", flat=True))
    approval = services.approve(review, people.reviewer, expected_sha256=v2.sha256)
    assert services.approved_version(run) == v2 and approval.sha256 == v2.sha256


def test_adding_a_cell_inserts_it_with_a_new_id(people, run):
    v1 = latest(run)
    v2 = services.add_cell(v1, people.reviewer, index=1, cell_type="markdown", source="> Note: read this.", reason="")
    new = cells(v2)
    assert len(new) == len(cells(v1)) + 1
    assert (new[1].cell_type, new[1].source) == ("markdown", "> Note: read this.")
    assert new[1].id.startswith("review-") and len({c.id for c in new}) == len(new)
    assert v2.reason == "markdown cell added at position 2", "an empty reason says what changed"
    assert AuditEntry.objects.get(run=run, action="cell_added").data["cell_type"] == "markdown"
    v3 = services.add_cell(v2, people.reviewer, index=len(new), cell_type="code", source="print(1)", reason="end")
    assert cells(v3)[-1].source == "print(1)"


def test_removing_a_cell(people, run):
    v1 = latest(run)
    v2 = services.remove_cell(v1, people.author, index=2, reason="Redundant")
    assert [c.id for c in cells(v2)] == [c.id for i, c in enumerate(cells(v1)) if i != 2]
    assert AuditEntry.objects.get(run=run, action="cell_removed").actor == people.author


def test_moving_a_cell(people, run):
    v1 = latest(run)
    v2 = services.move_cell(v1, people.reviewer, index=1, to=3, reason="Order")
    old = [c.id for c in cells(v1)]
    expected = old[:1] + old[2:4] + [old[1]] + old[4:]
    assert [c.id for c in cells(v2)] == expected
    assert AuditEntry.objects.get(run=run, action="cell_moved").data == {
        **AuditEntry.objects.get(run=run, action="cell_moved").data,
        "index": 1,
        "to": 3,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v, u: services.edit_cell(v, u, index=999, source="x", reason="r"), "There is no cell 1000"),
        (lambda v, u: services.edit_cell(v, u, index=-1, source="x", reason="r"), "There is no cell 0"),
        (lambda v, u: services.remove_cell(v, u, index=999, reason="r"), "There is no cell 1000"),
        (lambda v, u: services.move_cell(v, u, index=0, to=999, reason="r"), "There is no cell 1000"),
        (lambda v, u: services.move_cell(v, u, index=2, to=2, reason="r"), "already at position 3"),
        (lambda v, u: services.add_cell(v, u, index=0, cell_type="raw", source="x", reason="r"), "code or markdown"),
        (lambda v, u: services.edit_cell(v, u, index=0, source=cells(v)[0].source, reason="r"), "nothing to save"),
        (lambda v, u: services.edit_cell(v, u, index=len(cells(v)) - 1, source="x", reason="r"), "metadata cell"),
        (lambda v, u: services.remove_cell(v, u, index=len(cells(v)) - 1, reason="r"), "metadata cell"),
    ],
)
def test_a_change_that_cannot_be_made_is_refused_and_makes_no_version(people, run, change, message):
    with pytest.raises(services.InvalidRequest, match=message):
        change(latest(run), people.reviewer)
    assert run.versions.count() == 1
    assert not AuditEntry.objects.filter(run=run, action__startswith="cell_").exists()


def test_only_reviewers_and_the_author_can_edit(people, run):
    for user in (people.teammate, people.outsider):
        with pytest.raises(services.NotAllowed):
            services.edit_cell(latest(run), user, index=0, source="# x", reason="r")
    assert run.versions.count() == 1


def test_editing_an_older_version_is_refused_as_stale(people, run):
    v1 = latest(run)
    services.edit_cell(v1, people.reviewer, index=0, source="# New", reason="r")
    with pytest.raises(services.StaleVersion, match="Version 1 is no longer the latest \\(version 2 is\\)"):
        services.edit_cell(v1, people.author, index=0, source="# Other", reason="r")
    assert run.versions.count() == 2


def test_no_edit_while_the_run_is_being_generated_again(people, run):
    run.__class__.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(services.Conflict, match="being generated again"):
        services.edit_cell(latest(run), people.reviewer, index=0, source="# New", reason="r")


def test_asking_for_a_section_to_be_regenerated_queues_the_run(people, run):
    approve_latest(run, people.reviewer)
    services.request_section_regeneration(run, people.author, index=1, instruction="Use a smaller model.")
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert "sections" not in run.completed_stages
    section = run.sections.get(index=1)
    assert (section.status, section.instruction) == (Section.Status.PENDING, "Use a smaller model.")
    assert [row.func() for row in OrmQ.objects.all()] == [queueing.RUN_TASK]
    assert services.approved_version(run) is None
    entry = AuditEntry.objects.get(run=run, action="section_regenerate_requested")
    assert entry.actor == people.author and entry.data == {"index": 1, "step": 2, "instruction": "Use a smaller model."}


def test_a_regenerated_version_enters_the_queue_when_the_pipeline_publishes_it(people, run):
    from generation.pipeline.runner import execute_run
    from providers.demo import DemoTeacher

    services.claim(review_of(latest(run)), people.reviewer)
    services.request_section_regeneration(run, people.reviewer, index=0)
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    v2 = latest(run)
    assert v2.number == 2
    assert (review_of(v2).state, review_of(v2).claimed_by) == (ReviewState.IN_REVIEW, people.reviewer)
    assert review_of(run.versions.get(number=1)).state == ReviewState.SUPERSEDED


def test_regeneration_is_refused_for_a_missing_step_or_a_running_run(people, run):
    with pytest.raises(services.InvalidRequest, match="has no step 100"):
        services.request_section_regeneration(run, people.reviewer, index=99)
    run.__class__.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(services.Conflict, match="being generated already"):
        services.request_section_regeneration(run, people.reviewer, index=0)
    with pytest.raises(services.NotAllowed):
        services.request_section_regeneration(run, people.teammate, index=0)
    assert not AuditEntry.objects.filter(action="section_regenerate_requested").exists()


def test_an_edit_that_fails_validation_shows_its_findings_and_cannot_be_approved(people, run):
    v1 = latest(run)
    review = services.claim(review_of(v1), people.reviewer)
    index = first_code_cell(v1)
    v2 = services.edit_cell(v1, people.reviewer, index=index, source="def broken(:\n    pass", reason="oops")
    queueing.revalidate(v2.pk)
    v2.refresh_from_db()
    assert v2.passed is False
    assert v2.findings.filter(severity="error", cell_index=index).exists()
    with pytest.raises(services.NotApprovable, match="fails validation"):
        services.approve(review_of(v2), people.reviewer, expected_sha256=v2.sha256)
    assert review.pk != review_of(v2).pk


def test_metadata_of_an_edited_version_names_it(people, run):
    v2 = services.edit_cell(latest(run), people.reviewer, index=0, source="# New", reason="r")
    metadata_cell = cells(v2)[-1]
    assert '"version": 2' in metadata_cell.source
    assert json.loads(v2.ipynb)["metadata"]["alain"]["version"] == 2
    mark_validated(v2)
