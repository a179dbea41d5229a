"""Background runs without a cluster: claims, the delivery bound, the watchdog, people's actions, tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ

from generation import queueing, services, tasks
from generation.models import Run, RunEvent, RunStatus, Section, TeacherCall
from generation.pipeline.runner import execute_run
from providers.demo import DemoTeacher
from tests.generation.factories import SAMPLE_CARD, make_run

pytestmark = pytest.mark.django_db

MAX_DELIVERIES = 3
STALE = 60


@pytest.fixture(autouse=True)
def _queue_settings(settings):
    settings.ALAIN = {
        **settings.ALAIN,
        "RUN_STALE_SECONDS": STALE,
        "RUN_MAX_DELIVERIES": MAX_DELIVERIES,
        "RUN_DEADLINE_SECONDS": 3300,
        "QUEUE_GRACE_SECONDS": 120,
    }


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def tasks_of(run: Run) -> list[dict]:
    return [row.task for row in OrmQ.objects.all() if row.name() == queueing.task_name(run)]


def running(run: Run, *, worker: str = "elsewhere:1", heartbeat: float = 0, claimed: float = 0, deliveries: int = 1):
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        stage="sections",
        claimed_by=worker,
        claimed_at=ago(claimed),
        heartbeat_at=ago(heartbeat),
        deliveries=deliveries,
    )
    run.refresh_from_db()
    return run


# --- run_claim ----------------------------------------------------------------------------------


def test_a_queued_run_is_claimed_once():
    run = make_run()
    claimed = services.run_claim(run_id=run.pk, worker="host:1", stale_after_seconds=STALE)
    assert claimed is not None
    assert (claimed.status, claimed.claimed_by, claimed.deliveries, claimed.attempt_count) == (
        RunStatus.RUNNING,
        "host:1",
        1,
        1,
    )
    assert claimed.heartbeat_at is not None and claimed.started_at is not None
    assert RunEvent.objects.filter(run=run, kind="status_running", data__worker="host:1").exists()

    assert services.run_claim(run_id=run.pk, worker="host:2", stale_after_seconds=STALE) is None
    run.refresh_from_db()
    assert (run.claimed_by, run.deliveries) == ("host:1", 1)


def test_a_running_run_whose_worker_went_silent_is_taken_over_and_a_live_one_is_not():
    live = running(make_run(), heartbeat=5)
    assert services.run_claim(run_id=live.pk, worker="host:2", stale_after_seconds=STALE) is None

    silent = running(make_run(), heartbeat=STALE + 5)
    taken = services.run_claim(run_id=silent.pk, worker="host:2", stale_after_seconds=STALE)
    assert taken is not None
    assert (taken.status, taken.claimed_by, taken.deliveries) == (RunStatus.RUNNING, "host:2", 2)
    assert timezone.now() - taken.heartbeat_at < timedelta(seconds=5)


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED])
def test_an_ended_run_cannot_be_claimed(status):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=status)
    assert services.run_claim(run_id=run.pk, worker="host:1", stale_after_seconds=STALE) is None


# --- the delivery bound -------------------------------------------------------------------------


def test_a_run_delivered_past_the_bound_fails_without_running():
    run = make_run(deliveries=MAX_DELIVERIES)
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"), worker="host:9")
    assert (run.status, run.error_kind) == (RunStatus.FAILED, "internal")
    assert run.deliveries == MAX_DELIVERIES
    assert run.error_message == queueing.lost_worker_message(run)
    assert f"started {MAX_DELIVERIES} times and its worker stopped each time" in run.error_message
    assert run.completed_stages == []
    assert not TeacherCall.objects.filter(run=run).exists()


def test_a_run_below_the_bound_runs():
    run = make_run(deliveries=MAX_DELIVERIES - 1)
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"), worker="host:9")
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert run.deliveries == MAX_DELIVERIES


# --- the watchdog -------------------------------------------------------------------------------


def test_the_watchdog_queues_a_stalled_run_again_with_a_new_task():
    run = running(make_run(), heartbeat=STALE + 1, deliveries=1)
    report = queueing.watchdog()
    assert report.requeued == [run.tutorial_id] and not report.failed
    run.refresh_from_db()
    assert (run.status, run.claimed_by, run.stage) == (RunStatus.QUEUED, "", "sections")
    [task] = tasks_of(run)
    assert (task["func"], task["args"]) == (queueing.RUN_TASK, (run.pk,))
    event = RunEvent.objects.filter(run=run, kind="requeued").get()
    assert "elsewhere:1" in event.message and "sections" in event.message
    # Its task is waiting: the next round leaves it alone.
    assert queueing.watchdog().summary == (
        "0 stalled run(s) queued again, 0 failed, 0 queued run(s) given a new task, "
        "0 abandoned validation job(s) failed"
    )
    assert len(tasks_of(run)) == 1


def test_the_watchdog_fails_a_stalled_run_at_the_delivery_bound():
    run = running(make_run(), heartbeat=STALE + 1, deliveries=MAX_DELIVERIES)
    report = queueing.watchdog()
    assert report.failed == [run.tutorial_id] and not report.requeued
    run.refresh_from_db()
    assert (run.status, run.error_kind, run.error_stage) == (RunStatus.FAILED, "internal", "sections")
    assert run.error_message == queueing.lost_worker_message(run)
    assert not tasks_of(run)


def test_the_watchdog_fails_a_run_past_its_deadline_and_leaves_live_runs_alone(settings):
    settings.ALAIN = {**settings.ALAIN, "RUN_DEADLINE_SECONDS": 600}
    late = running(make_run(), heartbeat=1, claimed=601)
    live = running(make_run(), heartbeat=1, claimed=30)
    report = queueing.watchdog()
    assert report.failed == [late.tutorial_id]
    late.refresh_from_db()
    live.refresh_from_db()
    assert late.status == RunStatus.FAILED
    assert late.error_message == "The run exceeded its deadline of 10 minutes in stage sections; retry it."
    assert (live.status, live.claimed_by) == (RunStatus.RUNNING, "elsewhere:1")


def test_the_watchdog_gives_a_queued_run_without_a_task_a_new_one_once():
    lost = make_run()
    fresh = make_run()
    Run.objects.filter(pk=lost.pk).update(enqueued_at=ago(121))
    Run.objects.filter(pk=fresh.pk).update(enqueued_at=ago(5))
    report = queueing.watchdog()
    assert report.reenqueued == [lost.tutorial_id]
    assert len(tasks_of(lost)) == 1
    assert tasks_of(fresh) == [], "within the grace period a task may still be on its way"
    lost.refresh_from_db()
    assert timezone.now() - lost.enqueued_at < timedelta(seconds=5)

    # Even once its task waited longer than the grace period, it is not queued a second time.
    Run.objects.filter(pk=lost.pk).update(enqueued_at=ago(500))
    assert queueing.watchdog().reenqueued == []
    assert len(tasks_of(lost)) == 1


# --- what people do -----------------------------------------------------------------------------


@pytest.mark.parametrize("start", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_queued_or_running_run_can_be_cancelled(start):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=start)
    run.refresh_from_db()
    services.run_cancel(run=run, reason="no longer needed")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.finished_at is not None
    assert RunEvent.objects.filter(run=run, kind="status_cancelled").exists()
    assert RunEvent.objects.filter(run=run, message="Cancelled: no longer needed").exists()


@pytest.mark.parametrize("end", [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED])
def test_an_ended_run_cannot_be_cancelled(end):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=end)
    run.refresh_from_db()
    with pytest.raises(services.InvalidTransition, match="only a queued or running run can be cancelled"):
        services.run_cancel(run=run)


@pytest.mark.parametrize("end", [RunStatus.FAILED, RunStatus.CANCELLED])
def test_a_retry_queues_the_run_again_with_a_fresh_delivery_count_and_a_task(end):
    run = make_run(deliveries=MAX_DELIVERIES)
    Run.objects.filter(pk=run.pk).update(status=end, claimed_by="host:1")
    run.refresh_from_db()
    queueing.retry_run(run, reason="try again")
    run.refresh_from_db()
    assert (run.status, run.deliveries, run.claimed_by, run.finished_at) == (RunStatus.QUEUED, 0, "", None)
    assert RunEvent.objects.filter(run=run, kind="requeued", message="try again").exists()
    assert len(tasks_of(run)) == 1


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED])
def test_only_a_failed_or_cancelled_run_can_be_retried(status):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=status)
    run.refresh_from_db()
    with pytest.raises(services.InvalidTransition, match="only a failed or cancelled run can be retried"):
        queueing.retry_run(run)
    assert tasks_of(run) == []


def succeeded_run() -> Run:
    run = execute_run(make_run().pk, teacher=DemoTeacher(model="alain-demo"), worker="host:1")
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    return run


def test_regenerating_a_section_marks_it_and_queues_the_run_from_the_sections():
    run = succeeded_run()
    queueing.regenerate_section(run, index=1, instruction="  Use a shorter example.  ")
    run.refresh_from_db()
    assert (run.status, run.deliveries) == (RunStatus.QUEUED, 0)
    assert run.completed_stages == ["research", "outline"]
    section = run.sections.get(index=1)
    assert (section.status, section.instruction) == (Section.Status.PENDING, "Use a shorter example.")
    assert set(run.sections.exclude(index=1).values_list("status", flat=True)) == {Section.Status.DONE}
    assert RunEvent.objects.filter(run=run, kind="requeued", message__contains="Step 2 will be written again").exists()
    assert len(tasks_of(run)) == 1


def test_regenerating_refuses_what_cannot_be_done():
    run = succeeded_run()
    with pytest.raises(services.RunOptionsError, match="has no step 9"):
        services.section_regenerate(run=run, index=8)
    with pytest.raises(services.RunOptionsError, match="longer than 1000"):
        services.section_regenerate(run=run, index=0, instruction="x" * 1001)
    for status in (RunStatus.QUEUED, RunStatus.RUNNING):
        Run.objects.filter(pk=run.pk).update(status=status)
        with pytest.raises(services.InvalidTransition, match="wait until it ends"):
            services.section_regenerate(run=run, index=0)
    fresh = make_run()
    Run.objects.filter(pk=fresh.pk).update(status=RunStatus.FAILED)
    with pytest.raises(services.InvalidTransition, match="no outline yet"):
        services.section_regenerate(run=fresh, index=0)
    assert tasks_of(run) == [] and tasks_of(fresh) == []


# --- queueing and tasks -------------------------------------------------------------------------


def new_run() -> Run:
    return queueing.queue_new_run(
        source=services.RunSource(kind="text", ref="tiny test model", text=SAMPLE_CARD),
        options=services.RunOptions(provider="demo", teacher_model="alain-demo", max_sections=3, execute=False),
    )


def test_a_new_run_and_its_task_are_created_together():
    run = new_run()
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.enqueued_at is not None
    [row] = OrmQ.objects.all()
    assert (row.name(), row.func(), row.args(), row.group()) == (
        f"alain-run-{run.pk}",
        queueing.RUN_TASK,
        (run.pk,),
        queueing.TASK_GROUP,
    )


def test_a_rolled_back_run_leaves_no_task_behind():
    with pytest.raises(RuntimeError), transaction.atomic():
        run = new_run()
        assert OrmQ.objects.count() == 1, "the task is written in the run's transaction"
        raise RuntimeError("the request failed after queueing")
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not OrmQ.objects.exists()


def test_the_task_executes_a_queued_run():
    run = make_run()
    assert tasks.run_pipeline(run.pk) == f"{run.tutorial_id}: succeeded"


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED])
def test_a_redelivered_task_for_an_ended_run_is_skipped_and_changes_nothing(status):
    run = make_run()
    Run.objects.filter(pk=run.pk).update(status=status, finished_at=timezone.now())
    before = Run.objects.filter(pk=run.pk).values().get()
    events = RunEvent.objects.filter(run=run).count()
    result = tasks.run_pipeline(run.pk)
    assert result == f"skipped: run {run.pk} is {status}; it was not executed again"
    assert Run.objects.filter(pk=run.pk).values().get() == before
    assert RunEvent.objects.filter(run=run).count() == events


def test_a_redelivered_task_for_a_run_alive_elsewhere_is_skipped():
    run = running(make_run(), worker="other-host:42", heartbeat=1)
    before = Run.objects.filter(pk=run.pk).values().get()
    assert tasks.run_pipeline(run.pk) == f"skipped: run {run.pk} is running by other-host:42; it was not executed again"
    assert Run.objects.filter(pk=run.pk).values().get() == before


def test_a_task_for_a_deleted_run_is_skipped():
    assert tasks.run_pipeline(987654) == "skipped: there is no run 987654"


@pytest.mark.django_db(transaction=True)
def test_revalidation_is_queued_and_stores_fresh_findings():
    from django_q.models import OrmQ

    from generation.models import Finding, NotebookVersion, RunEvent
    from generation.pipeline.runner import execute_run
    from generation.tasks import revalidate_version
    from providers.demo import DemoTeacher

    run = execute_run(make_run(execute=False).pk, teacher=DemoTeacher(model="alain-demo"))
    version = NotebookVersion.objects.get(run=run)
    Finding.objects.filter(version=version).delete()
    NotebookVersion.objects.filter(pk=version.pk).update(passed=None, validated=False)
    queueing.queue_revalidation(version)
    assert [row.func() for row in OrmQ.objects.all()] == ["generation.tasks.revalidate_version"]
    message = revalidate_version(version.pk)
    version.refresh_from_db()
    assert version.validated and version.passed is True and "validated again: passed" in message
    assert Finding.objects.filter(version=version).exists(), "findings were stored again"
    assert RunEvent.objects.filter(run=run, kind="revalidated").exists()


def test_the_watchdog_fails_a_validation_job_whose_worker_died_and_whose_task_is_gone(settings):
    from django_q.models import OrmQ

    from generation.models import ValidationJob
    from generation.validation_jobs import job_task_name

    settings.ALAIN = {**settings.ALAIN, "EXEC_TOTAL_TIMEOUT": 60}
    long_ago = timezone.now() - timedelta(hours=1)
    abandoned = ValidationJob.objects.create(name="a.ipynb", status="running", started_at=long_ago)
    redelivered = ValidationJob.objects.create(name="b.ipynb", status="running", started_at=long_ago)
    ValidationJob.objects.create(name="c.ipynb", status="running", started_at=timezone.now())
    # b's task is still in the queue: django-q2 will deliver it again and the worker takes it over.
    OrmQ.objects.all().delete()
    from django_q.tasks import async_task

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    async_task("generation.tasks.validate_job", redelivered.pk, task_name=job_task_name(redelivered))

    report = queueing.watchdog()

    assert report.validations_failed == [str(abandoned.public_id)]
    statuses = dict(ValidationJob.objects.values_list("name", "status"))
    assert statuses == {"a.ipynb": "failed", "b.ipynb": "running", "c.ipynb": "running"}
    abandoned.refresh_from_db()
    assert "stopped" in abandoned.error and abandoned.finished_at is not None
