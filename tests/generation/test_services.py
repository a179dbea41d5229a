import pytest

from generation.models import Run, RunEvent, RunStatus
from generation.services import InvalidTransition, RunOptions, RunOptionsError, run_set_status
from tests.generation.factories import make_run

pytestmark = pytest.mark.django_db


def test_a_new_run_is_queued_with_a_readable_tutorial_id_and_an_event():
    run = make_run(subject="Qwen/Qwen3-0.6B")
    assert run.status == RunStatus.QUEUED
    assert run.tutorial_id.startswith("qwen-qwen3-0-6b-")
    assert RunEvent.objects.filter(run=run, kind="created").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("difficulty", "expert", "difficulty must be one of"),
        ("research_mode", "deep", "research mode must be one of"),
        ("language", "English", "ISO code"),
        ("max_sections", 2, "between 3 and 8"),
        ("max_sections", 9, "between 3 and 8"),
    ],
)
def test_it_refuses_bad_options_with_a_sentence_and_stores_nothing(field, value, message):
    options = {"provider": "demo", "teacher_model": "m", field: value}
    with pytest.raises(RunOptionsError, match=message):
        make_run(options=options)
    assert Run.objects.count() == 0


def test_options_accept_a_regional_language_code():
    RunOptions(provider="demo", teacher_model="m", language="pt-BR").validate()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("queued", "running"),
        ("queued", "cancelled"),
        ("running", "succeeded"),
        ("running", "failed"),
        ("running", "cancelled"),
        ("running", "queued"),
        ("failed", "queued"),
        ("cancelled", "queued"),
        ("succeeded", "queued"),
    ],
)
def test_allowed_status_changes_are_applied(start, target):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=start)
    run.refresh_from_db()
    run_set_status(run=run, status=target)
    assert Run.objects.get(pk=run.pk).status == target


@pytest.mark.parametrize(
    ("start", "target"),
    [("succeeded", "running"), ("succeeded", "failed"), ("queued", "succeeded"), ("failed", "running")],
)
def test_forbidden_status_changes_are_refused(start, target):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=start)
    run.refresh_from_db()
    with pytest.raises(InvalidTransition, match=f"a {start} run cannot become {target}"):
        run_set_status(run=run, status=target)
    assert Run.objects.get(pk=run.pk).status == start


def test_a_stale_reader_loses_the_race_to_change_the_status():
    run = make_run()
    stale = Run.objects.get(pk=run.pk)
    run_set_status(run=run, status="running")
    with pytest.raises(InvalidTransition, match="no longer queued"):
        run_set_status(run=stale, status="running")


def test_failing_records_the_reason_stage_and_kind():
    run = make_run()
    run_set_status(run=run, status="running")
    run.stage = "outline"
    run_set_status(run=run, status="failed", error="The teacher refused.", error_kind="teacher")
    run.refresh_from_db()
    assert (run.error_stage, run.error_kind, run.error_message) == ("outline", "teacher", "The teacher refused.")
    assert run.finished_at is not None
    assert RunEvent.objects.filter(run=run, kind="status_failed", level="error").exists()
