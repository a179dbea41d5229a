import hashlib
import json

import nbformat
import pytest
from django.core.files.storage import default_storage

from generation.models import STAGES, Artifact, NotebookVersion, Run, RunStatus, Section, TeacherCall
from generation.pipeline import assembly, checking, stages
from generation.pipeline.runner import execute_run
from generation.pipeline.validators import FindingData, ValidationReport
from generation.services import InvalidTransition, run_set_status
from providers.base import ProviderError
from providers.demo import DemoTeacher
from tests.generation.factories import make_run

pytestmark = pytest.mark.django_db(transaction=True)


class CountingDemo(DemoTeacher):
    """The demo teacher, counting calls per stage and failing the sections listed in `fail`."""

    def __init__(self, fail=()):
        super().__init__(model="alain-demo")
        self.fail = set(fail)
        self.calls = []

    def complete(self, request):
        index = request.context.get("section_index")
        self.calls.append((request.stage, index))
        if request.stage == "section" and index in self.fail:
            raise ProviderError("HTTP 503 from the teacher after 3 attempts", permanent=False)
        return super().complete(request)


def test_a_run_goes_through_all_eight_stages_and_stores_everything():
    run = make_run()
    teacher = CountingDemo()
    run = execute_run(run.pk, teacher=teacher)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert run.completed_stages == list(STAGES)
    assert set(run.stage_timings) == set(STAGES)
    assert run.sections.filter(status=Section.Status.DONE).count() == run.max_sections == 4
    assert TeacherCall.objects.filter(run=run, stage="outline", outcome="ok").count() == 1
    assert TeacherCall.objects.filter(run=run, stage="section", outcome="ok").count() == 4
    version = NotebookVersion.objects.get(run=run)
    assert version.passed is True
    assert run.prompt_versions == {"outline": "outline.v1", "section": "section.v1", "wrapup": "wrapup.v1"}
    assert TeacherCall.objects.filter(run=run, stage="wrapup", outcome="ok").count() == 1
    artifacts = {a.name: a for a in Artifact.objects.filter(run=run)}
    assert {"notebook.ipynb", "manifest.json", "validation.md", "metrics.json", "sections/04.json"} <= set(artifacts)
    manifest = json.loads(default_storage.open(artifacts["manifest.json"].path).read())
    for entry in manifest["files"]:
        stored = default_storage.open(artifacts[entry["name"]].path).read()
        assert hashlib.sha256(stored).hexdigest() == entry["sha256"]
        assert len(stored) == entry["size"]
    assert artifacts["notebook.ipynb"].path == f"runs/{run.tutorial_id}/v1/notebook.ipynb"


def test_metrics_report_calls_and_json_compliance():
    run = execute_run(make_run().pk, teacher=CountingDemo())
    artifact = Artifact.objects.get(run=run, name="metrics.json")
    metrics = json.loads(default_storage.open(artifact.path).read())
    assert metrics["teacher_calls"]["calls"] == 6
    assert metrics["teacher_calls"]["json_first_pass_rate"] == 1.0
    assert metrics["validation"]["passed"] is True
    assert metrics["teacher"]["demo"] is True


def test_a_failed_section_fails_the_run_and_a_retry_reuses_finished_sections():
    run = make_run()
    run = execute_run(run.pk, teacher=CountingDemo(fail={2}))
    assert (run.status, run.error_stage, run.error_kind) == (RunStatus.FAILED, "sections", "teacher")
    assert "step 3" in run.error_message
    assert run.completed_stages == ["research", "outline"]
    assert run.sections.filter(status=Section.Status.DONE).count() == 3

    run_set_status(run=run, status=RunStatus.QUEUED)
    teacher = CountingDemo()
    run = execute_run(run.pk, teacher=teacher)
    assert run.status == RunStatus.SUCCEEDED
    assert teacher.calls == [("section", 2)], "research, outline and finished sections are reused"


def test_a_permanent_teacher_failure_in_the_outline_says_so():
    class Refusing(DemoTeacher):
        def complete(self, request):
            raise ProviderError("HTTP 401: the API key was refused", permanent=True)

    run = execute_run(make_run().pk, teacher=Refusing(model="m"))
    assert (run.status, run.error_stage, run.error_kind) == (RunStatus.FAILED, "outline", "teacher")
    assert "API key was refused" in run.error_message
    assert TeacherCall.objects.get(run=run).outcome == "provider_error"


def test_a_notebook_that_fails_validation_fails_the_run_but_keeps_its_artifacts(monkeypatch):
    def failing(nb, only=None):
        report = ValidationReport(durations_ms={"code": 1.0})
        report.findings.append(FindingData("code", "syntax-error", "error", "The code does not parse.", 7))
        return report

    monkeypatch.setattr(checking, "validate_notebook", failing)
    run = execute_run(make_run().pk, teacher=CountingDemo())
    assert (run.status, run.error_kind, run.error_stage) == (RunStatus.FAILED, "validation", "validation")
    assert "1 error finding(s) and needs a person" in run.error_message
    report = Artifact.objects.get(run=run, name="validation.md")
    text = default_storage.open(report.path).read().decode()
    assert "FAILED" in text and "Cell 7" in text and "does not parse" in text


def test_rebuilding_from_stored_results_is_byte_identical():
    run = execute_run(make_run().pk, teacher=CountingDemo())
    version = NotebookVersion.objects.get(run=run)
    research = stages.load_research(run)
    outline = stages.load_outline(run)
    from prompts.specs import SectionSpec

    sections = [SectionSpec.model_validate(s.data) for s in run.sections.order_by("index")]
    meta = stages.notebook_meta(run, research, 1)
    first = assembly.notebook_to_bytes(
        assembly.build_notebook(outline=outline, sections=sections, research=research, meta=meta)
    )
    second = assembly.notebook_to_bytes(
        assembly.build_notebook(outline=outline, sections=sections, research=research, meta=meta)
    )
    assert first == second
    stored = nbformat.reads(version.ipynb, as_version=4)
    assert stored.metadata["alain"]["tutorial_id"] == run.tutorial_id


def test_only_a_queued_run_can_be_executed():
    run = execute_run(make_run().pk, teacher=CountingDemo())
    with pytest.raises(InvalidTransition, match="is succeeded; it was not executed again"):
        execute_run(run.pk, teacher=CountingDemo())
    assert Run.objects.get(pk=run.pk).attempt_count == 1


def test_a_retried_run_samples_with_new_seeds():
    class SeedRecorder(CountingDemo):
        def __init__(self, fail=()):
            super().__init__(fail=fail)
            self.seeds = []

        def complete(self, request):
            self.seeds.append((request.stage, request.seed))
            return super().complete(request)

    first = SeedRecorder(fail={0})
    run = execute_run(make_run().pk, teacher=first)
    run_set_status(run=run, status=RunStatus.QUEUED)
    second = SeedRecorder()
    execute_run(run.pk, teacher=second)
    assert ("section", 7) in first.seeds
    assert second.seeds == [("section", 1007)], "only the failed section is asked again, from another seed"


def test_regenerating_one_section_writes_only_that_step_again_as_a_new_version():
    from generation.services import section_regenerate

    run = execute_run(make_run().pk, teacher=CountingDemo())
    assert run.status == RunStatus.SUCCEEDED
    section_regenerate(run=run, index=1, instruction="Show the reply's token count too.")
    teacher = CountingDemo()
    run = execute_run(run.pk, teacher=teacher)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert teacher.calls == [("section", 1)], "only step 2 was asked again; plan and wrap-up reused"
    assert list(run.versions.values_list("number", flat=True)) == [1, 2]
    [call] = TeacherCall.objects.filter(run=run, stage="section", section_index=1).order_by("-id")[:1]
    assert "Show the reply's token count too." in call.request_messages[-1]["content"]


def test_a_running_or_queued_run_cannot_have_a_section_regenerated():
    from generation.services import section_regenerate

    run = make_run()
    with pytest.raises(InvalidTransition, match="wait until it ends"):
        section_regenerate(run=run, index=0)


def test_a_run_cancelled_during_a_stage_keeps_that_stage_and_starts_no_other():
    from generation.services import run_cancel

    run = make_run()
    teacher = CountingDemo()

    def cancel_once_a_section_is_stored(stage, message):
        # As a person would, while the other sections are still being written.
        if stage == "sections" and message.endswith("done") and Run.objects.get(pk=run.pk).status == "running":
            run_cancel(run=Run.objects.get(pk=run.pk), reason="changed my mind")

    run = execute_run(run.pk, teacher=teacher, progress=cancel_once_a_section_is_stored)

    assert run.status == RunStatus.CANCELLED
    # The sections stage finished its work: it is recorded as done, and nothing after it started.
    assert run.completed_stages == ["research", "outline", "sections"]
    assert run.stage == "sections"
    assert "assembly" not in run.stage_timings
    kinds = list(run.events.filter(kind__startswith="stage_").values_list("kind", "stage"))
    assert kinds[-2:] == [("stage_started", "sections"), ("stage_completed", "sections")]
    assert not run.versions.exists()

    # A retry resumes at assembly: no teacher call is made again.
    run_set_status(run=run, status=RunStatus.QUEUED)
    calls_before = len(teacher.calls)
    run = execute_run(run.pk, teacher=teacher)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert len(teacher.calls) == calls_before
    assert run.completed_stages == list(STAGES)


def test_a_run_cancelled_as_its_last_stage_ends_stays_cancelled_with_every_stage_recorded():
    from generation.services import run_cancel

    run = make_run()

    def cancel_when_publish_is_done(stage, message):
        if stage == "publish" and message.startswith("done"):
            run_cancel(run=Run.objects.get(pk=run.pk), reason="too late, but asked")

    run = execute_run(run.pk, teacher=CountingDemo(), progress=cancel_when_publish_is_done)

    assert run.status == RunStatus.CANCELLED
    assert run.completed_stages == list(STAGES)
    kinds = list(run.events.values_list("kind", flat=True))
    assert kinds[-3:] == ["status_cancelled", "note", "stage_completed"]
    assert "status_succeeded" not in kinds


def test_a_succeeded_run_records_its_last_stage_and_its_success_together():
    run = execute_run(make_run().pk, teacher=CountingDemo())

    stored = Run.objects.get(pk=run.pk)
    assert (stored.status, stored.completed_stages) == (RunStatus.SUCCEEDED, list(STAGES))
    assert stored.finished_at is not None and stored.finished_at == run.finished_at
    succeeded, completed = stored.events.order_by("-id").values_list("kind", "stage", "message")[:2]
    assert succeeded == ("status_succeeded", "publish", "Run succeeded.")
    assert completed[:2] == ("stage_completed", "publish")
    assert completed[2].startswith("Stage publish completed in")


def test_every_stage_is_recorded_as_started_then_completed_in_order():
    run = execute_run(make_run().pk, teacher=CountingDemo())

    events = list(run.events.filter(kind__startswith="stage_").values_list("kind", "stage"))
    expected = [(kind, stage) for stage in STAGES for kind in ("stage_started", "stage_completed")]
    assert events == expected
    completed = run.events.get(kind="stage_completed", stage="publish")
    assert completed.data == {"elapsed_ms": run.stage_timings["publish"]}
    assert completed.message.startswith(f"Stage publish completed in {run.stage_timings['publish']} ms.")


class LoneWrites:
    """Counts writes made outside any transaction: each is a commit of its own, which
    PostgreSQL flushes to disk before it answers (transactions' commits are counted apart)."""

    def __init__(self, connection):
        self.connection = connection
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if not self.connection.in_atomic_block and sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.count += 1
        return execute(sql, params, many, context)


def test_a_run_makes_one_commit_per_stage_boundary_and_one_per_stage_write(settings):
    from unittest import mock

    from django.db import connection

    # One section at a time, so that every section is a batch of its own: a fixed count.
    settings.ALAIN = {**settings.ALAIN, "SECTION_CONCURRENCY": 1}
    run = make_run()
    lone_writes = LoneWrites(connection)
    with (
        mock.patch.object(connection, "commit", wraps=connection.commit) as commit,
        connection.execute_wrapper(lone_writes),
    ):
        run = execute_run(run.pk, teacher=CountingDemo())
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    boundaries = len(STAGES)  # each stage's start, with the previous one's completion
    stage_writes = {
        "research": 1,  # the research, the subject and the notes on the card
        "outline": 1,
        "sections": 5,  # four sections and the wrap-up, one batch each here
        "assembly": 1,  # the version: a lone INSERT
        "validation": 1,  # the findings and the summary
        "execution": 0,  # not requested: said in the stage's completion event
        "autofix": 0,  # the version passed
        "publish": 1,  # the artifacts' rows and the review queue's entry
    }
    claim, final_status = 1, 1  # the final status, with the last stage's completion
    assert lone_writes.count == 1
    assert commit.call_count + lone_writes.count == claim + boundaries + sum(stage_writes.values()) + final_status


def test_a_failure_to_enter_the_review_queue_undoes_the_published_rows_and_a_retry_publishes(monkeypatch):
    from review import services as review_services
    from review.models import Review

    def broken_queue(version):
        raise RuntimeError("the review queue is down")

    monkeypatch.setattr(review_services, "enter_queue", broken_queue)
    run = execute_run(make_run().pk, teacher=CountingDemo())
    assert (run.status, run.error_kind, run.error_stage) == (RunStatus.FAILED, "internal", "publish")
    # The rows and the queue entry are one commit: neither is there, and publish did not complete.
    assert not Artifact.objects.filter(run=run).exists()
    assert not Review.objects.filter(run=run).exists()
    assert "publish" not in run.completed_stages

    monkeypatch.undo()
    run_set_status(run=run, status=RunStatus.QUEUED)
    run = execute_run(run.pk, teacher=CountingDemo())
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    # The files the failed attempt left (recorded by no row) were written again, and recorded.
    artifacts = Artifact.objects.filter(run=run)
    manifest = json.loads(default_storage.open(artifacts.get(name="manifest.json").path).read())
    assert sorted(artifacts.values_list("name", flat=True)) == sorted(
        [e["name"] for e in manifest["files"]] + ["manifest.json"]
    )
    for artifact in artifacts:
        assert hashlib.sha256(default_storage.open(artifact.path).read()).hexdigest() == artifact.sha256
    assert Review.objects.get(run=run).version.number == 1
