"""A real `manage.py qcluster` in a subprocess, pointed at the test database, and ways to watch it.

Everything here has a deadline: a wait that runs out fails with what it waited for, the runs'
states and the tail of the cluster's log. The cluster runs in its own session (process group),
so stopping it kills every process it started, and `stop()` checks that none survived.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

from generation import queueing, services
from generation.models import Run, RunStatus
from tests.cluster.responders import CARD_TEXT, MAX_SECTIONS, SUBJECT
from tests.fakes.teacher_server import FakeTeacherServer

REPO_ROOT = Path(__file__).resolve().parents[2]
_READY = re.compile(r"ready for work at (\d+)")

# settings.ALAIN key -> the environment variable alain_site/settings.py reads it from.
ALAIN_ENV = {
    "RUN_HEARTBEAT_SECONDS": "ALAIN_RUN_HEARTBEAT_SECONDS",
    "RUN_STALE_SECONDS": "ALAIN_RUN_STALE_SECONDS",
    "RUN_MAX_DELIVERIES": "ALAIN_RUN_MAX_DELIVERIES",
    "RUN_DEADLINE_SECONDS": "ALAIN_RUN_DEADLINE_SECONDS",
    "QUEUE_GRACE_SECONDS": "ALAIN_QUEUE_GRACE_SECONDS",
    "LEASE_TTL_SECONDS": "ALAIN_LEASE_TTL_SECONDS",
    "BREAKER_THRESHOLD": "ALAIN_BREAKER_THRESHOLD",
    "BREAKER_COOLDOWN_SECONDS": "ALAIN_BREAKER_COOLDOWN_SECONDS",
    "PROVIDER_WAIT_SECONDS": "ALAIN_PROVIDER_WAIT_SECONDS",
    "HTTP_TIMEOUT_SECONDS": "ALAIN_HTTP_TIMEOUT",
    "HTTP_MAX_ATTEMPTS": "ALAIN_HTTP_MAX_ATTEMPTS",
    "HTTP_BACKOFF_BASE_SECONDS": "ALAIN_HTTP_BACKOFF_BASE",
    "HTTP_BACKOFF_MAX_SECONDS": "ALAIN_HTTP_BACKOFF_MAX",
    "JSON_MAX_ATTEMPTS": "ALAIN_JSON_MAX_ATTEMPTS",
    "SECTION_CONCURRENCY": "ALAIN_SECTION_CONCURRENCY",
    "HF_CACHE_DIR": "ALAIN_HF_CACHE_DIR",
    "LOCAL_BASE_URL": "LOCAL_BASE_URL",
    "LOCAL_MODEL": "LOCAL_MODEL",
    "LOCAL_CONCURRENCY": "LOCAL_CONCURRENCY",
}

# What every cluster test starts from; each test overrides what it is about.
DEFAULT_ALAIN: dict[str, Any] = {
    "RUN_HEARTBEAT_SECONDS": 1.0,
    "RUN_STALE_SECONDS": 4.0,
    "RUN_MAX_DELIVERIES": 3,
    "RUN_DEADLINE_SECONDS": 50,
    "QUEUE_GRACE_SECONDS": 120,
    "LEASE_TTL_SECONDS": 3.0,
    "BREAKER_THRESHOLD": 5,
    "BREAKER_COOLDOWN_SECONDS": 60.0,
    "PROVIDER_WAIT_SECONDS": 60.0,
    "HTTP_TIMEOUT_SECONDS": 10.0,
    "HTTP_MAX_ATTEMPTS": 2,
    "HTTP_BACKOFF_BASE_SECONDS": 0.01,
    "HTTP_BACKOFF_MAX_SECONDS": 0.02,
    "JSON_MAX_ATTEMPTS": 3,
    "SECTION_CONCURRENCY": 4,
    "LOCAL_MODEL": "fake-teacher",
    "LOCAL_CONCURRENCY": "8",
}
# django-q2: Q_CLUSTER is built from these (timeout < retry; the run deadline < timeout).
DEFAULT_Q = {"ALAIN_Q_WORKERS": "4", "ALAIN_TASK_TIMEOUT": "60", "ALAIN_TASK_RETRY": "70", "ALAIN_Q_POLL": "0.2"}


def database_url() -> str:
    """DATABASE_URL of the database this test uses (the test database, not the configured one)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def cluster_env(*, alain: Mapping[str, Any], q: Mapping[str, str], media_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "alain_site.settings",
            "PYTHONUNBUFFERED": "1",
            "ALAIN_MEDIA_ROOT": str(media_root),
            "HF_HUB_OFFLINE": "1",
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(q)
    for key, value in alain.items():
        env[ALAIN_ENV[key]] = str(value)
    return env


# --- processes ------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def live_descendants(pid: int) -> list[int]:
    return [child for child in descendants(pid) if is_alive(child)]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, process group) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def live_members(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies are dead: their parent reaps them)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[1] == pgid and stat[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def is_alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def pid_of(claimed_by: str) -> int:
    """The process id in a run's `claimed_by` ("host:pid")."""
    return int(claimed_by.rsplit(":", 1)[1])


class Cluster:
    """`manage.py qcluster` as a subprocess in its own session; its output goes to `log_path`."""

    def __init__(self, *, env: dict[str, str], log_path: Path, workers: int) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.graceful: bool | None = None

    def start(self, timeout: float = 45.0) -> Cluster:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Up: the sentinel, pusher, monitor and every worker exist, and the guard said "running".
        wait_for(
            lambda: "running" in self.log_text() and len(self.worker_pids()) == self.workers,
            timeout=timeout,
            what="the cluster to start",
            cluster=self,
        )
        return self

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # start_new_session: the leader's pid is the group's id

    def worker_pids(self) -> list[int]:
        """Live worker processes: each logs "ready for work at <pid>" when it (re)starts."""
        pids = {int(pid) for pid in _READY.findall(self.log_text())}
        members = set(live_descendants(self.pgid))
        return sorted(pids & members)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to qcluster, SIGKILL to its whole group after `grace` seconds; fails if anything survives.

        Only the main process gets SIGTERM: it stops its sentinel, which stops the pusher, lets
        the workers finish their tasks and stops the monitor (the sentinel and its children
        die at once on SIGTERM themselves).
        """
        if self.proc is None:
            return
        pgid = self.pgid
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and live_members(pgid):
            self.proc.poll()
            time.sleep(0.1)
        self.graceful = not live_members(pgid)
        if not self.graceful:
            # After worker deaths qcluster can stay "stopping" forever (FIELD_NOTES).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while live_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = live_members(pgid)
        self.proc = None
        how = "stopped on SIGTERM" if self.graceful else "killed after SIGTERM did not stop it"
        with self.log_path.open("a") as log:
            log.write(f"--- test harness: cluster {how} in {time.monotonic() - began:.1f} s\n")
        assert not survivors, f"cluster processes survived SIGKILL: {survivors}"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


# --- waiting ------------------------------------------------------------------------------------


def describe_runs() -> str:
    rows = Run.objects.order_by("pk").values_list("pk", "status", "stage", "deliveries", "claimed_by", "error_message")
    return "\n".join(
        f"  run {pk}: {status} in {stage or '-'}, deliveries {deliveries}, by {by or '-'} {error[:160]}"
        for pk, status, stage, deliveries, by, error in rows
    )


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    cluster: Cluster | None = None,
    interval: float = 0.2,
    tick: Callable[[], None] | None = None,
) -> Any:
    """Poll until `predicate()` is truthy (and return it); fail with a clear message at the deadline.

    `tick` runs before every poll (the tests drive `queueing.watchdog()` with it).
    """
    deadline = time.monotonic() + timeout
    while True:
        if tick is not None:
            tick()
        value = predicate()
        if value:
            return value
        if cluster is not None and cluster.proc is not None and cluster.proc.poll() is not None:
            raise AssertionError(
                f"the cluster exited (code {cluster.proc.returncode}) while waiting for {what}\n"
                f"runs:\n{describe_runs()}\n--- cluster log ---\n{cluster.log_tail()}"
            )
        if time.monotonic() > deadline:
            log = f"\n--- cluster log ---\n{cluster.log_tail()}" if cluster is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\nruns:\n{describe_runs()}{log}")
        time.sleep(interval)


def watchdog_ticker(every: float = 0.5) -> Callable[[], None]:
    """A `tick` that runs the production watchdog at most every `every` seconds."""
    last = [0.0]

    def tick() -> None:
        if time.monotonic() - last[0] >= every:
            last[0] = time.monotonic()
            queueing.watchdog()

    return tick


def all_finished(runs: list[Run]) -> bool:
    pks = [run.pk for run in runs]
    finished = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
    return Run.objects.filter(pk__in=pks, status__in=finished).count() == len(pks)


def queue_empty() -> bool:
    from django_q.models import OrmQ

    return not OrmQ.objects.exists()


def queue_run(server: FakeTeacherServer, *, max_sections: int = MAX_SECTIONS) -> Run:
    return queueing.queue_new_run(
        source=services.RunSource(kind="text", ref=SUBJECT, text=CARD_TEXT),
        options=services.RunOptions(
            provider="local",
            teacher_model="fake-teacher",
            base_url=server.base_url,
            max_sections=max_sections,
            execute=False,
        ),
    )
