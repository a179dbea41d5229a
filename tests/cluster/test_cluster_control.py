"""What people do to runs while a real cluster works: cancel, retry from a stage, regenerate a step."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django_q.models import Task

from generation import queueing, services
from generation.models import NotebookVersion, Run, RunEvent, RunStatus, TeacherCall
from tests.cluster.harness import all_finished, describe_runs, queue_empty, queue_run, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def task_results(run: Run) -> list[str]:
    return [
        str(result) for result in Task.objects.filter(name=queueing.task_name(run)).values_list("result", flat=True)
    ]


def test_a_run_cancelled_while_queued_never_runs(start_cluster, teacher):
    run = queue_run(teacher)  # no cluster yet: nobody can take it
    services.run_cancel(run=run, reason="changed my mind")

    cluster = start_cluster(teacher, workers=2)
    wait_for(queue_empty, timeout=30, what="the cancelled run's task to be consumed", cluster=cluster)
    wait_for(lambda: task_results(run), timeout=10, what="the task's result", cluster=cluster)

    run.refresh_from_db()
    assert (run.status, run.deliveries, run.claimed_by, run.started_at) == (RunStatus.CANCELLED, 0, "", None)
    assert not TeacherCall.objects.filter(run=run).exists()
    assert teacher.chat_requests == []
    assert task_results(run)[0].startswith("skipped: run ")


def test_cancelling_a_running_run_stops_its_worker_mid_sections(start_cluster, teacher):
    teacher.latency = 1.0
    cluster = start_cluster(teacher, workers=2, alain={"SECTION_CONCURRENCY": 1})
    run = queue_run(teacher)
    wait_for(
        lambda: (
            Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, stage="sections").exists()
            and TeacherCall.objects.filter(run=run, stage="section").exists()
        ),
        timeout=30,
        what="the run to be writing its sections",
        cluster=cluster,
        interval=0.05,
    )
    run.refresh_from_db()
    services.run_cancel(run=run, reason="stop it")
    cancelled_at = time.monotonic()

    # The worker notices within about a second plus the call in flight, and its task ends.
    wait_for(queue_empty, timeout=20, what="the worker to stop and its task to end", cluster=cluster)
    stopped_after = time.monotonic() - cancelled_at
    calls, requests = TeacherCall.objects.filter(run=run).count(), len(teacher.chat_requests)
    time.sleep(2.5)
    assert TeacherCall.objects.filter(run=run).count() == calls, "no teacher call was saved after the stop"
    assert len(teacher.chat_requests) == requests, "the teacher was not asked anything after the stop"

    run.refresh_from_db()
    assert (run.status, run.stage) == (RunStatus.CANCELLED, "sections")
    assert "sections" not in run.completed_stages
    assert RunEvent.objects.filter(run=run, kind="status_cancelled").exists()
    assert RunEvent.objects.filter(run=run, message="Cancelled: stop it").exists()
    assert any(result.endswith(": cancelled") for result in task_results(run)), task_results(run)
    print(f"\ncancelled mid-sections; the worker stopped {stopped_after:.1f} s later after {calls} saved call(s)")


def test_a_retry_resumes_at_the_failed_stage_and_asks_only_what_failed(start_cluster, teacher):
    responder = teacher.responder
    responder.broken_steps = {1}  # step 2 gets invalid JSON until the teacher is "fixed"
    cluster = start_cluster(teacher, workers=2, alain={"JSON_MAX_ATTEMPTS": 2})
    run = queue_run(teacher)
    wait_for(lambda: all_finished([run]), timeout=30, what="the run to fail in its sections", cluster=cluster)
    run.refresh_from_db()
    assert (run.status, run.error_stage, run.error_kind) == (RunStatus.FAILED, "sections", "teacher"), describe_runs()
    assert run.completed_stages == ["research", "outline"]
    assert "step 2" in run.error_message

    responder.broken_steps = set()
    queueing.retry_run(run)
    wait_for(lambda: all_finished([run]), timeout=30, what="the retried run", cluster=cluster)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    asked = Counter(responder.asked)
    # Only step 2 was asked again (two bad replies, then a good one); the plan, the wrap-up and
    # the other steps were reused from the first execution.
    assert asked == {("outline", None): 1, ("wrapup", None): 1, ("section", 0): 1, ("section", 1): 3, ("section", 2): 1}
    assert TeacherCall.objects.filter(run=run, stage="outline").count() == 1
    outcomes = list(
        TeacherCall.objects.filter(run=run, stage="section", section_index=1)
        .order_by("pk")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["invalid_json", "invalid_json", "ok"]
    assert list(run.versions.values_list("number", flat=True)) == [1]

    wait_for(queue_empty, timeout=15, what="the broker's queue to empty", cluster=cluster)


def test_a_regenerated_step_is_the_only_new_call_and_follows_the_instruction(start_cluster, teacher):
    cluster = start_cluster(teacher, workers=2)
    run = queue_run(teacher)
    wait_for(lambda: all_finished([run]), timeout=30, what="the first execution", cluster=cluster)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert list(run.versions.values_list("number", flat=True)) == [1]

    instruction = "Explain it with a cooking analogy for zebra-striped pancakes."
    before = set(TeacherCall.objects.filter(run=run).values_list("pk", flat=True))
    requests_before = len(teacher.chat_requests)
    queueing.regenerate_section(run, index=1, instruction=instruction)
    wait_for(lambda: all_finished([run]), timeout=30, what="the regenerated run", cluster=cluster)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert list(NotebookVersion.objects.filter(run=run).values_list("number", flat=True)) == [1, 2]
    new_calls = TeacherCall.objects.filter(run=run).exclude(pk__in=before)
    assert [(c.stage, c.section_index, c.outcome) for c in new_calls] == [("section", 1, "ok")]
    new_requests = teacher.chat_requests[requests_before:]
    assert len(new_requests) == 1
    prompt = "\n".join(str(m.get("content", "")) for m in new_requests[0].json["messages"])
    assert "Write Step 2:" in prompt
    assert instruction in prompt, "the person's instruction must reach the teacher"
    wait_for(queue_empty, timeout=15, what="the broker's queue to empty", cluster=cluster)
