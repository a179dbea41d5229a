"""The refresh (`alain refresh` and the nightly schedule): research again, rebuild manuals whose
card changed, and file the new version for review, or keep the approval when nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import nbformat
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from generation import refresh, tasks
from generation.models import NotebookVersion, RefreshRecord, Run, RunStatus, TeacherCall
from generation.pipeline.errors import TeacherError
from generation.services import RunSource
from providers.base import Completion, CompletionRequest
from providers.demo import DemoTeacher
from review import services
from review.models import Approval, AuditEntry, Review, ReviewState
from tests.fakes.hf_env import isolate_hf
from tests.fakes.hub_server import FakeHubServer
from tests.review.factories import People, latest, people_fixture, review_of, reviewed_run  # noqa: F401

pytestmark = pytest.mark.django_db

QWEN = "Qwen/Qwen3-0.6B"
QWEN_SHA = "c1899de289a04d12100db370d81485cdf75e47ca"
NEW_SHA = "0123456789abcdef0123456789abcdef01234567"
# A new card: another title and an extra section, so the manual's wording changes too.
NEW_README = b"""---
license: apache-2.0
pipeline_tag: text-generation
library_name: transformers
---
# Qwen3 0.6B, second edition

Qwen3-0.6B is a small causal language model. This edition documents a longer context.

## Quickstart

```python
from transformers import pipeline
pipe = pipeline("text-generation", model="Qwen/Qwen3-0.6B")
print(pipe("Hello")[0]["generated_text"])
```

## Limitations

It is small and makes mistakes.
"""


@pytest.fixture(autouse=True)
def _private_hf_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_hf(tmp_path, monkeypatch)


@pytest.fixture
def hub(settings) -> Iterator[FakeHubServer]:
    with FakeHubServer() as server:
        settings.ALAIN = {**settings.ALAIN, "HF_ENDPOINT": server.url}
        yield server


class CountingTeacher(DemoTeacher):
    """The demo teacher, counting its calls (a refresh that finds nothing new makes none)."""

    def __init__(self) -> None:
        super().__init__(model="alain-demo")
        self.calls = 0

    def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        return super().complete(request)


class BrokenTeacher(DemoTeacher):
    def __init__(self) -> None:
        super().__init__(model="alain-demo")

    def complete(self, request: CompletionRequest) -> Completion:
        raise TeacherError("The teacher is down.", stage=request.stage)


def approve(people: People, run: Run) -> Approval:
    version = latest(run)
    review = services.claim(review_of(version), people.reviewer)
    return services.approve(review, people.reviewer, expected_sha256=version.sha256)


def approved_manual(people: People, **overrides: Any) -> Run:
    """A manual built by the demo pipeline, its version 1 approved by a reviewer."""
    run = reviewed_run(people, **overrides)
    approve(people, run)
    return run


def hf_manual(people: People, *, approved: bool = True) -> Run:
    source = RunSource(kind="hf", ref=QWEN)
    return approved_manual(people, source=source) if approved else reviewed_run(people, source=source)


def change_card(hub: FakeHubServer) -> None:
    repo = hub.repos[QWEN]
    repo.info["sha"] = NEW_SHA
    repo.files["README.md"] = NEW_README


def refresh_command(*args: str) -> tuple[int, str, str]:
    """Run `manage.py alain refresh ...`; returns (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("alain", "refresh", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), f"{err.getvalue()}{exc}"
    return 0, out.getvalue(), err.getvalue()


def source_of(version: NotebookVersion, role: str) -> str:
    nb = nbformat.reads(version.ipynb, as_version=4)
    return next(cell.source for cell in nb.cells if cell.metadata.get("alain", {}).get("role") == role)


# --- a changed card --------------------------------------------------------------------------------


def test_a_changed_card_files_a_new_version_in_the_queue_with_a_diff_against_the_approved_one(people, hub):
    run = hf_manual(people)
    approved = latest(run)
    assert refresh.built_from_revision(approved) == QWEN_SHA
    change_card(hub)

    record = refresh.manual_refresh(run=run, teacher=DemoTeacher(model="alain-demo"))

    run.refresh_from_db()
    new = latest(run)
    assert new.number > approved.number and run.status == RunStatus.SUCCEEDED
    assert (record.outcome, record.card_changed) == (RefreshRecord.Outcome.QUEUED, True)
    assert (record.previous_revision, record.current_revision) == (QWEN_SHA, NEW_SHA)
    assert (record.version, record.compared_to) == (new, approved)
    assert refresh.built_from_revision(new) == NEW_SHA
    # The new card reached the manual: research, outline and sections were written again.
    assert run.research.revision_sha == NEW_SHA
    assert "second edition" not in approved.ipynb and "second edition" in new.ipynb
    # In the queue, and the approval of the outdated version is withdrawn.
    assert review_of(new).state == ReviewState.PENDING
    assert services.approved_version(run) is None
    # The summary counts what review's cell diff shows between the two versions, the metadata
    # cell counted only because its revision changed (not for its version number).
    rows = services.diffs.diff_notebooks_by_cell(
        refresh.comparable_notebook(approved.ipynb), refresh.comparable_notebook(new.ipynb)
    )
    summary = record.diff_summary
    for status in ("added", "removed", "modified", "unchanged"):
        assert summary[status] == sum(1 for row in rows if row["status"] == status)
    assert summary["modified"] + summary["added"] >= 2
    new_cells = nbformat.reads(new.ipynb, as_version=4).cells
    metadata_index = next(i for i, cell in enumerate(new_cells) if "alain-metadata" in cell.metadata.get("tags", []))
    metadata_row = next(row for row in rows if row["new_index"] == metadata_index)
    assert metadata_row["status"] == "modified" and NEW_SHA in metadata_row["new_source"]
    assert (summary["from_version"], summary["to_version"], summary["against"]) == (
        approved.number,
        new.number,
        "approved",
    )
    assert (summary["from_revision"], summary["to_revision"]) == (QWEN_SHA, NEW_SHA)
    assert f"Version {new.number} waits for review; against approved version 1" in record.message
    assert record.finished_at is not None


def test_the_command_exits_10_when_a_version_waits_for_approval_and_prints_the_records(people, hub):
    run = hf_manual(people)
    change_card(hub)

    code, out, err = refresh_command("--json")

    assert code == 10, err
    data = json.loads(out)
    assert data["exit_code"] == 10 and data["counts"]["queued"] == 1
    [row] = data["records"]
    new = latest(run)
    assert row["tutorial_id"] == run.tutorial_id
    assert (row["outcome"], row["card_changed"], row["forced"], row["trigger"]) == ("queued", True, False, "command")
    assert (row["previous_revision"], row["current_revision"]) == (QWEN_SHA, NEW_SHA)
    assert (row["version"], row["compared_to"]) == (new.number, 1)
    assert row["diff_summary"] == RefreshRecord.objects.get().diff_summary
    assert "waits for approval" in err


# --- an unchanged card -----------------------------------------------------------------------------


def test_an_unchanged_card_regenerates_nothing_and_calls_no_teacher(people, hub):
    run = hf_manual(people)
    versions, calls = run.versions.count(), TeacherCall.objects.filter(run=run).count()
    teacher = CountingTeacher()
    hub.reset_log()

    record = refresh.manual_refresh(run=run, teacher=teacher)

    assert (record.outcome, record.card_changed) == (RefreshRecord.Outcome.UNCHANGED, False)
    assert (record.previous_revision, record.current_revision) == (QWEN_SHA, QWEN_SHA)
    assert "still at c1899de289a0" in record.message
    assert teacher.calls == 0 and TeacherCall.objects.filter(run=run).count() == calls
    assert run.versions.count() == versions
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert services.approved_version(run) == latest(run)
    # The Hub was asked, not the cache: a nightly refresh must see a card changed since the last one.
    assert hub.count("/api/models/") == 1


def test_the_command_exits_0_when_nothing_changed(people, hub):
    run = hf_manual(people)

    code, out, err = refresh_command()

    assert code == 0, err
    assert out.strip().startswith(f"{run.tutorial_id}: unchanged.")
    assert "1 manual refreshed: 1 unchanged." in err
    assert RefreshRecord.objects.get().outcome == RefreshRecord.Outcome.UNCHANGED


def test_a_text_source_has_no_revision_and_is_unchanged_unless_forced(people):
    run = approved_manual(people)
    teacher = CountingTeacher()

    record = refresh.manual_refresh(run=run, teacher=teacher)

    assert (record.outcome, record.card_changed, record.current_revision) == ("unchanged", False, "")
    assert "stored text" in record.message and teacher.calls == 0


# --- forced, identical -----------------------------------------------------------------------------


def test_a_forced_rebuild_identical_to_the_approved_version_keeps_the_approval_and_stays_out_of_the_queue(people):
    run = approved_manual(people)
    approved = latest(run)
    approval = services.live_approval(run)
    teacher = CountingTeacher()

    record = refresh.manual_refresh(run=run, force=True, teacher=teacher)

    new = latest(run)
    assert teacher.calls > 0 and new.number > approved.number
    assert (record.outcome, record.forced, record.card_changed) == (RefreshRecord.Outcome.IDENTICAL, True, False)
    assert (record.version, record.compared_to) == (new, approved)
    assert record.diff_summary["text"] == "No cell changed." and record.diff_summary["modified"] == 0
    # Not queued, and the approval is the same live one: nothing was withdrawn.
    assert not Review.objects.filter(version=new).exists()
    assert services.live_approval(run) == approval and services.approved_version(run) == approved
    assert not AuditEntry.objects.filter(run=run, action="approval_withdrawn").exists()
    assert f"identical to approved version {approved.number}" in record.message
    # Only what must differ between two builds differs: the version number and the validator timings.
    assert new.ipynb != approved.ipynb
    assert json.loads(new.ipynb)["metadata"]["alain"]["version"] == new.number


def test_the_command_exits_0_for_an_identical_rebuild(people):
    approved_manual(people)

    code, out, err = refresh_command("--force", "--json")

    assert code == 0, err
    [row] = json.loads(out)["records"]
    assert (row["outcome"], row["forced"]) == ("identical", True)


def test_a_forced_rebuild_of_a_manual_never_approved_is_queued_against_the_version_before(people):
    run = reviewed_run(people)
    before = latest(run)

    record = refresh.manual_refresh(run=run, force=True, teacher=DemoTeacher(model="alain-demo"))

    new = latest(run)
    assert record.outcome == RefreshRecord.Outcome.QUEUED
    assert record.compared_to == before and record.diff_summary["against"] == "previous"
    assert record.diff_summary["text"] == "No cell changed."
    assert review_of(new).state == ReviewState.PENDING
    assert review_of(before).state == ReviewState.SUPERSEDED


def test_a_withdrawn_approval_is_not_kept_alive_by_an_identical_rebuild(people):
    run = approved_manual(people)
    services.withdraw_approval(run, people.reviewer, reason="The licence changed.")

    record = refresh.manual_refresh(run=run, force=True, teacher=DemoTeacher(model="alain-demo"))

    assert record.outcome == RefreshRecord.Outcome.QUEUED
    assert record.compared_to.number == 1 and record.diff_summary["against"] == "approved"
    assert review_of(latest(run)).state == ReviewState.PENDING


# --- skipped and failed ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_run_that_is_queued_or_running_is_skipped(people, status):
    run = approved_manual(people)
    Run.objects.filter(pk=run.pk).update(status=status)
    teacher = CountingTeacher()

    record = refresh.manual_refresh(run=run, force=True, teacher=teacher)

    assert record.outcome == RefreshRecord.Outcome.SKIPPED and f"is {status}" in record.message
    assert teacher.calls == 0 and run.versions.count() == 1
    assert Run.objects.get(pk=run.pk).status == status


def test_a_hub_that_does_not_answer_fails_the_refresh_instead_of_calling_the_card_unchanged(people, hub):
    run = hf_manual(people)
    hub.stop()

    code, _, err = refresh_command("--json")

    assert code == 1, err
    record = RefreshRecord.objects.get(run=run)
    assert record.outcome == RefreshRecord.Outcome.FAILED and "unknown" in record.message
    assert record.previous_revision == QWEN_SHA and run.versions.count() == 1
    assert services.approved_version(run) == latest(run)


def test_a_model_gone_from_the_hub_fails_the_refresh(people, hub):
    run = hf_manual(people)
    hub.not_found.add(QWEN)

    record = refresh.manual_refresh(run=run)

    assert record.outcome == RefreshRecord.Outcome.FAILED and record.message


def test_a_rebuild_that_fails_is_recorded_and_tried_again_next_time(people, hub):
    run = hf_manual(people)
    change_card(hub)

    failed = refresh.manual_refresh(run=run, teacher=BrokenTeacher())

    run.refresh_from_db()
    assert failed.outcome == RefreshRecord.Outcome.FAILED and "The teacher is down" in failed.message
    assert run.status == RunStatus.FAILED
    # The approved version is still what users export, and the card counts as changed until a
    # rebuild published it, although the failed one already researched the new revision.
    assert services.approved_version(run).number == 1
    assert run.research.revision_sha == NEW_SHA

    again = refresh.manual_refresh(run=run, teacher=DemoTeacher(model="alain-demo"))

    assert (again.outcome, again.card_changed, again.previous_revision) == ("queued", True, QWEN_SHA)


def test_the_command_exits_1_when_a_refresh_failed_even_if_another_waits_for_approval(people, hub):
    changed = hf_manual(people)
    other = approved_manual(people)
    change_card(hub)
    hub.not_found.add("nobody/else")
    Run.objects.filter(pk=other.pk).update(source_kind="hf", source_ref="nobody/else")

    code, out, err = refresh_command("--json")

    assert code == 1, err
    outcomes = {row["tutorial_id"]: row["outcome"] for row in json.loads(out)["records"]}
    assert outcomes == {changed.tutorial_id: "queued", other.tutorial_id: "failed"}


def test_a_bug_in_one_refresh_fails_its_record_and_the_others_go_on(people, monkeypatch):
    first, second = approved_manual(people), approved_manual(people)
    real = refresh.last_published_version

    def broken_for_first(run):
        if run.pk == first.pk:
            raise KeyError("boom")
        return real(run)

    monkeypatch.setattr(refresh, "last_published_version", broken_for_first)

    report = refresh.refresh_manuals()

    outcomes = [(record.run, record.outcome) for record in report.records]
    assert outcomes == [(first, "failed"), (second, "unchanged")]
    assert "Internal error in the refresh (KeyError)" in report.records[0].message
    assert report.failed and report.summary() == "2 manuals refreshed: 1 unchanged, 1 failed."


# --- which manuals -----------------------------------------------------------------------------------


def test_only_runs_that_published_a_version_are_manuals(people):
    manual = reviewed_run(people)
    from tests.generation.factories import make_run

    make_run()  # never executed: no version

    assert list(refresh.manuals()) == [manual]


def test_approved_only_refreshes_the_runs_with_a_live_approval(people):
    approved = approved_manual(people)
    reviewed_run(people)
    withdrawn = approved_manual(people)
    services.withdraw_approval(withdrawn, people.reviewer, reason="Outdated.")

    code, out, err = refresh_command("--approved-only", "--json")

    assert code == 0, err
    assert [row["tutorial_id"] for row in json.loads(out)["records"]] == [approved.tutorial_id]


def test_since_keeps_the_manuals_whose_latest_version_is_newer(people):
    old, recent = reviewed_run(people), reviewed_run(people)
    NotebookVersion.objects.filter(run=old).update(created_at=timezone.now() - timedelta(days=10))

    assert list(refresh.manuals(since=refresh.parse_since("7d"))) == [recent]
    code, out, _ = refresh_command("--since", "7d", "--json")
    assert code == 0
    assert [row["tutorial_id"] for row in json.loads(out)["records"]] == [recent.tutorial_id]
    since_date = (timezone.now() - timedelta(days=30)).date().isoformat()
    assert set(refresh.manuals(since=refresh.parse_since(since_date))) == {old, recent}


@pytest.mark.parametrize("since", ["yesterday", "7x", "2025-13-01", ""])
def test_a_bad_since_is_a_usage_error(since):
    code, _, err = refresh_command("--since", since)

    assert code == 2 and "Usage error: --since" in err
    assert not RefreshRecord.objects.exists()


# --- the nightly schedule ------------------------------------------------------------------------------


def test_the_schedule_is_off_by_default_and_migrate_removes_one_left_from_before(settings):
    assert settings.ALAIN["REFRESH_SCHEDULE"] == ""
    Schedule.objects.create(name=refresh.SCHEDULE_NAME, func=refresh.NIGHTLY_TASK, schedule_type=Schedule.DAILY)

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # how every `migrate` ends

    assert refresh.sync_refresh_schedule() is None
    assert not Schedule.objects.filter(name=refresh.SCHEDULE_NAME).exists()


def test_the_schedule_is_created_updated_and_deleted_from_the_setting(settings):
    from django.apps import apps

    settings.ALAIN = {**settings.ALAIN, "REFRESH_SCHEDULE": "0 3 * * *"}
    refresh.on_post_migrate(apps.get_app_config("generation"), using="default")
    schedule = Schedule.objects.get(name=refresh.SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.cron, schedule.repeats) == (
        "generation.tasks.refresh_nightly",
        Schedule.CRON,
        "0 3 * * *",
        -1,
    )
    assert (schedule.next_run.hour, schedule.next_run.minute) == (3, 0) and schedule.next_run > timezone.now()

    settings.ALAIN = {**settings.ALAIN, "REFRESH_SCHEDULE": "30 1 * * 1"}
    refresh.sync_refresh_schedule()
    schedule = Schedule.objects.get(name=refresh.SCHEDULE_NAME)
    assert schedule.cron == "30 1 * * 1"
    assert (schedule.next_run.weekday(), schedule.next_run.hour, schedule.next_run.minute) == (0, 1, 30)

    settings.ALAIN = {**settings.ALAIN, "REFRESH_SCHEDULE": ""}
    refresh.sync_refresh_schedule()
    assert not Schedule.objects.filter(name=refresh.SCHEDULE_NAME).exists()


def test_the_migrate_signal_syncs_the_schedule(settings):
    settings.ALAIN = {**settings.ALAIN, "REFRESH_SCHEDULE": "15 4 * * *"}
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert Schedule.objects.get(name=refresh.SCHEDULE_NAME).cron == "15 4 * * *"


@pytest.mark.parametrize("cron", ["every night", "0 3 * *", "61 3 * * *"])
def test_a_schedule_that_is_not_a_cron_expression_is_a_system_check_error(settings, cron):
    settings.ALAIN = {**settings.ALAIN, "REFRESH_SCHEDULE": cron}

    [error] = refresh.check_refresh_schedule()

    assert error.id == "alain.E004" and cron in error.msg
    with pytest.raises(Exception, match="not a cron expression"):
        refresh.sync_refresh_schedule()


def test_the_nightly_task_queues_one_refresh_per_manual(people):
    first, second = approved_manual(people), reviewed_run(people)

    assert tasks.refresh_nightly() == "2 manual(s) queued for a refresh"

    queued = sorted((row.func(), tuple(row.task["args"]), row.task["kwargs"], row.name()) for row in OrmQ.objects.all())
    assert queued == sorted(
        ("generation.tasks.refresh_manual", (run.pk,), {"trigger": "schedule"}, f"alain-refresh-{run.pk}")
        for run in (first, second)
    )


def test_the_refresh_task_records_a_scheduled_refresh(people):
    run = approved_manual(people)

    assert tasks.refresh_manual(run.pk) == f"{run.tutorial_id}: unchanged"
    assert tasks.refresh_manual(10**9) == f"skipped: there is no run {10**9}"

    record = RefreshRecord.objects.get(run=run)
    assert (record.trigger, record.outcome) == ("schedule", "unchanged")
