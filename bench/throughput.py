"""Throughput: many runs at once through a real `manage.py qcluster` on PostgreSQL, one teacher capped.

Every run asks for 5 calls (outline, 3 sections, wrap-up) from a fake teacher with a fixed
latency; the provider governor caps the calls in flight across all worker processes. With the
cap always full, the last run would end at ideal = total calls / cap x latency. The cluster
is the test suite's harness (tests/cluster/harness.py), started before the clock starts.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import Figure, Mode, PartResult, log

CAP = 8
MAKESPAN_GOAL = 1.25


def run(mode: Mode) -> PartResult:
    from django.db import connection

    result = PartResult("throughput")
    if connection.vendor != "postgresql":
        result.figures.append(
            Figure("throughput", "runs through a real qcluster", "skipped: needs PostgreSQL (--database-url)")
        )
        return result
    from django.conf import settings
    from django.db.models import Max
    from django.utils import timezone

    from generation.models import Run, RunStatus
    from providers.governor import reset_provider
    from tests.cluster.harness import Cluster, all_finished, cluster_env, queue_run, wait_for
    from tests.cluster.responders import MAX_SECTIONS, DemoResponder
    from tests.fakes.teacher_server import FakeTeacherServer

    runs_wanted = mode.pick(30, 5)
    latency = mode.pick(1.0, 0.05)
    workers = mode.pick(6, 2)
    scratch = Path(settings.MEDIA_ROOT).parent
    # Earlier parts used the same provider in this database: start from a closed breaker.
    reset_provider("local")
    with FakeTeacherServer(responder=DemoResponder(), latency=latency) as teacher:
        alain = {
            "LOCAL_BASE_URL": teacher.base_url,
            "LOCAL_MODEL": "fake-teacher",
            "LOCAL_CONCURRENCY": str(CAP),
            # Each worker asks for up to 4 calls at once: six workers want 24, three times the cap.
            "SECTION_CONCURRENCY": 4,
            "HF_CACHE_DIR": str(scratch / "hf-cache"),
            "HTTP_TIMEOUT_SECONDS": 30.0,
            "HTTP_BACKOFF_BASE_SECONDS": 0.01,
            "HTTP_BACKOFF_MAX_SECONDS": 0.02,
            "RUN_DEADLINE_SECONDS": 500,
            "PROVIDER_WAIT_SECONDS": 300.0,
        }
        q = {
            "ALAIN_Q_WORKERS": str(workers),
            "ALAIN_TASK_TIMEOUT": "600",
            "ALAIN_TASK_RETRY": "700",
            "ALAIN_Q_POLL": "0.2",
        }
        env = cluster_env(alain=alain, q=q, media_root=scratch / "media")
        cluster = Cluster(env=env, log_path=scratch / "qcluster.log", workers=workers)
        try:
            cluster.start(timeout=90)
            log(f"throughput: cluster of {workers} workers up; queueing {runs_wanted} runs")
            started = timezone.now()
            runs = [queue_run(teacher) for _ in range(runs_wanted)]
            wait_for(lambda: all_finished(runs), timeout=600, what="every run to finish", cluster=cluster, interval=0.2)
        finally:
            cluster.stop(grace=20)
        pks = [r.pk for r in runs]
        ended = Run.objects.filter(pk__in=pks).aggregate(last=Max("finished_at"))["last"]
        makespan = (ended - started).total_seconds()
        succeeded = Run.objects.filter(pk__in=pks, status=RunStatus.SUCCEEDED).count()
        calls = len(teacher.chat_requests)
        seen = teacher.max_concurrent
    ideal = calls / CAP * latency
    ratio = makespan / ideal
    log(f"throughput: {succeeded}/{runs_wanted} runs in {makespan:.1f} s, {calls} calls, at most {seen} at once")
    setup = f"{runs_wanted} runs x {2 + MAX_SECTIONS} calls, {latency:g} s per call, cap {CAP}, {workers} workers"
    result.figures += [
        Figure(
            "throughput",
            f"makespan through a real qcluster ({setup})",
            f"{makespan:.1f} s = {ratio:.2f} x ideal {ideal:.1f} s ({calls} calls / {CAP} x {latency:g} s)",
            goal=f"<= {MAKESPAN_GOAL} x ideal",
            met=ratio <= MAKESPAN_GOAL,
        ),
        Figure(
            "throughput",
            "runs completed",
            f"{succeeded}/{runs_wanted}",
            goal=f"{runs_wanted}/{runs_wanted}",
            met=succeeded == runs_wanted,
            timed=False,
        ),
        Figure(
            "throughput",
            "most calls the teacher saw at once",
            f"{seen}" + (" (the cap was reached)" if seen == CAP else ""),
            goal=f"<= {CAP} (the cap)",
            met=seen <= CAP,
            timed=False,
        ),
    ]
    return result
