"""Metrics of work done in qcluster workers show up in the web process's /metrics, and the
workers' JSON log lines name their run; both stay right after the cluster restarts."""

from __future__ import annotations

import json

import pytest

from generation.models import RunStatus, TeacherCall
from tests.cluster.harness import all_finished, queue_run, wait_for
from tests.observability.helpers import samples, value

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def counted(all_samples: dict) -> dict:
    """The samples that count something (the collector's own read time varies at each scrape)."""
    return {key: v for key, v in all_samples.items() if key[0] != "alain_metrics_scrape_seconds"}


def test_worker_metrics_reach_the_web_process_and_survive_a_restart(start_cluster, teacher):
    labels = {"provider": "local", "model": "fake-teacher"}
    before = samples()
    cluster = start_cluster(teacher, workers=2)
    first = [queue_run(teacher) for _ in range(3)]
    wait_for(lambda: all_finished(first), timeout=60, what="3 runs to finish", cluster=cluster)
    after_first = samples()

    def moved(now: dict, name: str, **extra: str) -> float:
        return value(now, name, **extra) - value(before, name, **extra)

    assert moved(after_first, "alain_runs_finished_total", status="succeeded", **labels) == 3
    calls = TeacherCall.objects.filter(run__in=first)
    assert moved(after_first, "alain_teacher_calls_total", **labels) == calls.count()
    assert (
        moved(after_first, "alain_section_generated_total", **labels)
        == calls.filter(stage="section", schema_valid=True).count()
    )
    assert value(after_first, "alain_queue_depth") == 0

    # Every worker process ends (a restart, as after a deploy or a recycle): nothing is lost.
    cluster.stop()
    assert counted(samples()) == counted(after_first)
    cluster = start_cluster(teacher, workers=2)
    second = [queue_run(teacher) for _ in range(2)]
    wait_for(lambda: all_finished(second), timeout=60, what="2 more runs to finish", cluster=cluster)
    assert moved(samples(), "alain_runs_finished_total", status="succeeded", **labels) == 5
    assert all(run.status == RunStatus.SUCCEEDED for run in second if run.refresh_from_db() is None)

    # The workers log JSON lines that name the run and the stage they are about.
    lines = []
    for text in cluster.log_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    tutorial_ids = {run.tutorial_id for run in second}
    about_runs = [line for line in lines if line.get("tutorial_id") in tutorial_ids]
    assert {line["tutorial_id"] for line in about_runs} == tutorial_ids
    assert {"outline", "sections"} <= {line.get("stage") for line in about_runs}
