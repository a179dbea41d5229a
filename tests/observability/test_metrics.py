"""ALAIN's own metrics move as runs happen, with bounded labels, read from the database."""

from __future__ import annotations

import pytest
from django.utils import timezone

from generation import queueing, services
from generation.models import Finding, NotebookVersion, Run, RunStatus, TeacherCall
from generation.pipeline.runner import execute_run
from providers.demo import DemoTeacher
from providers.governor import ProviderGovernor, policy_for
from review.models import ExportRecord
from tests.observability.helpers import samples, scrape, value

pytestmark = pytest.mark.django_db

CARD = "# Tiny chat\n\nA small chat model for tests. Call it through an OpenAI-compatible endpoint.\n"


def make_run(**options) -> Run:
    return services.run_create(
        source=services.RunSource(kind="text", ref="tiny.md", text=CARD),
        options=services.RunOptions(provider="demo", teacher_model="alain-demo", execute=False, **options),
    )


def finished_run(**options) -> Run:
    run = execute_run(make_run(**options).pk, teacher=DemoTeacher(model="alain-demo"), worker="host:1")
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    return run


def test_a_finished_run_moves_the_run_call_section_and_stage_metrics():
    before = samples()
    run = finished_run(difficulty="advanced", research_mode="fallback")
    after = samples()
    labels = {"provider": "demo", "model": "alain-demo"}

    def moved(name: str, **extra: str) -> float:
        return value(after, name, **extra) - value(before, name, **extra)

    assert moved("alain_runs_finished_total", status="succeeded", difficulty="advanced", research_mode="fallback") == 1
    assert moved("alain_runs_finished_total", status="failed") == 0
    calls = TeacherCall.objects.filter(run=run)
    assert moved("alain_teacher_calls_total", **labels) == calls.count()
    sections = run.sections.count()
    assert moved("alain_section_generated_total", **labels) == sections
    assert moved("alain_section_duration_seconds_count", **labels) == sections
    assert moved("alain_json_requests_total", result="first_pass", **labels) == calls.filter(attempt=1).count()
    assert moved("alain_outline_duration_seconds_count", difficulty="advanced", research_mode="fallback", **labels) == 1
    assert moved("alain_outline_duration_seconds_sum", **labels) == pytest.approx(run.stage_timings["outline"] / 1000)
    for stage in run.completed_stages:
        assert moved("alain_stage_duration_seconds_count", stage=stage) == 1, stage
    tokens = sum(call.completion_tokens or 0 for call in calls)
    assert moved("alain_teacher_tokens_total", kind="completion", **labels) == tokens
    assert moved("alain_validations_total", result="passed") == 1
    assert moved("alain_demo_fallback_runs_total") == 1


def test_no_label_names_a_run_or_a_user():
    run = finished_run()
    text = scrape()
    assert run.tutorial_id not in text
    assert str(run.public_id) not in text
    for (_, labels), _ in samples(text).items():
        assert {name for name, _ in labels} <= {
            "provider",
            "model",
            "stage",
            "outcome",
            "kind",
            "result",
            "difficulty",
            "research_mode",
            "status",
            "validator",
            "rule",
            "via",
            "le",
        }


def test_json_requests_split_into_first_pass_after_repair_and_failed():
    run = make_run()
    common = {"run": run, "provider": "local", "model": "m", "stage": "section"}
    # Step 0: valid at once. Step 1: invalid, then valid. Step 2: invalid twice (failed).
    TeacherCall.objects.create(section_index=0, attempt=1, outcome="ok", schema_valid=True, **common)
    TeacherCall.objects.create(section_index=1, attempt=1, outcome="schema_invalid", **common)
    TeacherCall.objects.create(section_index=1, attempt=2, outcome="ok", schema_valid=True, **common)
    TeacherCall.objects.create(section_index=2, attempt=1, outcome="invalid_json", **common)
    TeacherCall.objects.create(section_index=2, attempt=2, outcome="truncated", http_attempts=[{}, {}, {}], **common)
    now = samples()
    labels = {"provider": "local", "model": "m", "stage": "section"}
    assert value(now, "alain_json_requests_total", result="first_pass", **labels) == 1
    assert value(now, "alain_json_requests_total", result="after_repair", **labels) == 1
    assert value(now, "alain_json_requests_total", result="failed", **labels) == 1
    assert value(now, "alain_teacher_retries_total", **labels) == 2
    assert value(now, "alain_teacher_http_retries_total", **labels) == 2
    assert value(now, "alain_teacher_calls_total", outcome="invalid_json", **labels) == 1
    assert value(now, "alain_section_generated_total", provider="local", model="m") == 2


def test_validation_failures_are_counted_by_validator_and_rule():
    run = finished_run()
    version = NotebookVersion.objects.filter(run=run).latest("number")
    before = value(samples(), "alain_validation_failures_total", validator="execution", rule="cell-error")
    for index in (3, 7):
        Finding.objects.create(
            version=version, validator="execution", code="cell-error", severity="error", cell_index=index, message="x"
        )
    Finding.objects.create(version=version, validator="colab", code="gpu", severity="warning", message="w")
    now = samples()
    assert value(now, "alain_validation_failures_total", validator="execution", rule="cell-error") - before == 2
    assert value(now, "alain_validation_failures_total", validator="colab") == 0


def test_queue_depth_and_the_age_of_the_oldest_queued_run(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    assert value(samples(), "alain_queue_depth") == 0
    assert value(samples(), "alain_queue_oldest_age_seconds") == 0
    first = queueing.queue_new_run(
        source=services.RunSource(kind="text", ref="a.md", text=CARD),
        options=services.RunOptions(provider="demo", teacher_model="alain-demo", execute=False),
    )
    make_run()
    Run.objects.filter(pk=first.pk).update(enqueued_at=timezone.now() - timezone.timedelta(minutes=10))
    now = samples()
    assert value(now, "alain_queue_depth") == 2
    assert 599 <= value(now, "alain_queue_oldest_age_seconds") <= 700


def test_breaker_state_and_exports():
    governor = ProviderGovernor(policy_for("poe", {"BREAKER_THRESHOLD": 1, "POE_CONCURRENCY": "2"}))
    lease = governor.acquire()
    now = samples()
    assert value(now, "alain_provider_in_flight", provider="poe") == 1
    assert value(now, "alain_provider_breaker_state", provider="poe") == 0
    governor.release(lease, outcome="failure")
    now = samples()
    assert value(now, "alain_provider_breaker_state", provider="poe") == 2
    assert value(now, "alain_provider_in_flight", provider="poe") == 0
    run = finished_run()
    version = NotebookVersion.objects.filter(run=run).latest("number")
    ExportRecord.objects.create(run=run, version=version, via="api", sha256=version.sha256)
    ExportRecord.objects.create(run=run, version=version, via="download", sha256=version.sha256)
    ExportRecord.objects.create(run=run, version=version, via="api", sha256=version.sha256)
    now = samples()
    assert value(now, "alain_exports_total", via="api") == 2
    assert value(now, "alain_exports_total", via="download") == 1
