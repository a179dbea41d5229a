"""Fixtures for the real-cluster tests: PostgreSQL only, a fake teacher, and `start_cluster`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from tests.cluster.harness import DEFAULT_ALAIN, DEFAULT_Q, Cluster, cluster_env
from tests.cluster.responders import DemoResponder
from tests.fakes.teacher_server import FakeTeacherServer


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the cluster tests need PostgreSQL (DATABASE_URL=postgres://...): workers run in parallel")


@pytest.fixture
def teacher() -> Iterator[FakeTeacherServer]:
    with FakeTeacherServer(responder=DemoResponder()) as server:
        yield server


StartCluster = Callable[..., Cluster]


@pytest.fixture
def start_cluster(request, transactional_db, settings, tmp_path) -> Iterator[StartCluster]:
    """Start `manage.py qcluster` on the test database; every cluster is stopped after the test.

    `start_cluster(server, workers=4, alain={...}, q={...})`: `alain` overrides settings.ALAIN keys
    both in the cluster (through their environment variables) and in this process (the watchdog
    the tests drive must judge runs by the same rules); `q` overrides the django-q2 variables.
    Depends on `transactional_db` so the cluster is gone before the database is flushed.
    """
    clusters: list[Cluster] = []
    # "Enqueued [alain] 7" for every run queued from this process is noise here.
    queue_logger = logging.getLogger("django-q")
    level = queue_logger.level
    queue_logger.setLevel(logging.WARNING)

    def start(
        server: FakeTeacherServer, *, workers: int = 4, alain: dict[str, Any] | None = None, q: dict | None = None
    ) -> Cluster:
        config = {
            **DEFAULT_ALAIN,
            "LOCAL_BASE_URL": server.base_url,
            "HF_CACHE_DIR": str(tmp_path / "hf-cache"),
            **(alain or {}),
        }
        settings.ALAIN = {**settings.ALAIN, **config}
        q_env = {**DEFAULT_Q, "ALAIN_Q_WORKERS": str(workers), **(q or {})}
        env = cluster_env(alain=config, q=q_env, media_root=tmp_path / "media")
        cluster = Cluster(env=env, log_path=tmp_path / f"qcluster-{len(clusters) + 1}.log", workers=workers)
        clusters.append(cluster)
        return cluster.start()

    yield start

    queue_logger.setLevel(level)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    errors = []
    for cluster in clusters:
        try:
            cluster.stop()
        except AssertionError as exc:
            errors.append(str(exc))
        if failed:
            print(f"\n--- tail of {cluster.log_path.name} ---\n{cluster.log_tail(80)}")
    assert not errors, errors
