"""Many runs at once through a real cluster: every run ends, and the teacher's cap holds."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count

from generation.models import Run, RunStatus, TeacherCall
from providers.models import ProviderLease
from tests.cluster.harness import all_finished, describe_runs, queue_empty, queue_run, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

RUNS = 30
CAP = 8


def test_thirty_runs_share_a_teacher_capped_at_eight(start_cluster, teacher):
    teacher.latency = 0.4
    # Six workers with four sections each ask for up to 24 calls at once: well above the cap.
    cluster = start_cluster(teacher, workers=6, alain={"LOCAL_CONCURRENCY": str(CAP), "SECTION_CONCURRENCY": 4})

    started = time.monotonic()
    runs = [queue_run(teacher) for _ in range(RUNS)]
    wait_for(lambda: all_finished(runs), timeout=150, what=f"{RUNS} runs to finish", cluster=cluster, interval=0.5)
    makespan = time.monotonic() - started

    statuses = dict(Run.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses == {RunStatus.SUCCEEDED: RUNS}, describe_runs()
    calls = len(teacher.chat_requests)
    print(
        f"\n{RUNS} runs in {makespan:.1f} s on {cluster.workers} workers; {calls} teacher calls, "
        f"at most {teacher.max_concurrent} at once (cap {CAP})"
    )
    assert teacher.max_concurrent == CAP, "the cap must hold across workers and be reached"
    # Every call was needed once: one plan, one wrap-up and one reply per section and run.
    assert TeacherCall.objects.exclude(outcome__in=("ok", "salvaged")).count() == 0
    assert TeacherCall.objects.count() == calls == RUNS * 5
    assert not ProviderLease.objects.exists(), "every provider slot was given back"
    wait_for(queue_empty, timeout=15, what="the broker's queue to empty", cluster=cluster)
