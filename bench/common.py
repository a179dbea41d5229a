"""What every benchmark part shares: the throwaway database, the fake teacher's replies, runs
executed in this process, and the figures the table prints.

Django is set up once per process (`setup_django`) against a database made for the benchmark
and dropped afterwards; each part then changes `settings.ALAIN` for what it measures.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Each benchmark gets a database of its own, named after its process (`alain_bench_<pid>`), so
# that two benchmarks at once cannot drop each other's database.
BENCH_DATABASE_PREFIX = "alain_bench_"
# Sections per manual in the in-process parts: a typical manual, and enough for concurrency to show.
SECTIONS = 6


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Figure:
    """One row of the table: a measured value, the goal it is held to and whether it met it.

    `timed` goals depend on the machine's speed and are only enforced by `--check`; the others
    (every run completed, the cap held, every request answered) say the harness and the code
    work, and smoke mode enforces them too.
    """

    part: str
    measure: str
    value: str
    goal: str = ""
    met: bool | None = None
    timed: bool = True

    @property
    def verdict(self) -> str:
        if self.met is None:
            return ""
        return "yes" if self.met else "NO"


@dataclass
class PartResult:
    name: str
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # printed under the table (profiles, notes)
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Mode:
    """How big each part runs: the full benchmark or the tiny smoke run CI uses."""

    smoke: bool = False

    def pick(self, full: Any, smoke: Any) -> Any:
        return smoke if self.smoke else full


# --- database and Django ---------------------------------------------------------------------------


@dataclass
class BenchDatabase:
    """A database of our own: PostgreSQL `alain_bench_<pid>` when the server answers, else SQLite in a temp folder."""

    url: str
    vendor: str
    scratch: Path
    admin_url: str = ""
    name: str = ""

    def drop(self) -> None:
        if self.vendor == "postgresql":
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                # FORCE: a worker the harness could not stop must not keep the database alive.
                conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        shutil.rmtree(self.scratch, ignore_errors=True)


def create_database(admin_url: str | None) -> BenchDatabase:
    scratch = Path(tempfile.mkdtemp(prefix="alain-bench-"))
    if admin_url:
        import psycopg

        name = f"{BENCH_DATABASE_PREFIX}{os.getpid()}"
        try:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
                for (stale,) in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s",
                    [BENCH_DATABASE_PREFIX.replace("_", r"\_") + "%"],
                ).fetchall():
                    if stale == name or not _process_alive(stale.removeprefix(BENCH_DATABASE_PREFIX)):
                        # Left by a benchmark that was killed before it could drop it.
                        conn.execute(f"DROP DATABASE IF EXISTS {stale} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {name}")
        except psycopg.OperationalError as exc:
            log(f"PostgreSQL is not reachable ({type(exc).__name__}); using SQLite, the cluster part is skipped")
        else:
            url = admin_url.rsplit("/", 1)[0] + f"/{name}"
            return BenchDatabase(url=url, vendor="postgresql", scratch=scratch, admin_url=admin_url, name=name)
    return BenchDatabase(url=f"sqlite:///{scratch / 'bench.sqlite3'}", vendor="sqlite", scratch=scratch)


def _process_alive(pid: str) -> bool:
    """Whether the benchmark process `pid` (a database name's suffix) still runs on this machine."""
    if not pid.isdigit():
        return True  # not one of ours: leave it alone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def bench_environment(db: BenchDatabase) -> dict[str, str]:
    """Environment for this process and the servers it starts: our database, media and caches, no Hub."""
    return {
        "DATABASE_URL": db.url,
        "DJANGO_SETTINGS_MODULE": "alain_site.settings",
        "ALAIN_MEDIA_ROOT": str(db.scratch / "media"),
        "ALAIN_HF_CACHE_DIR": str(db.scratch / "hf-cache"),
        "HF_HUB_OFFLINE": "1",
        # JSON log lines would land in the middle of the table; the parts report what matters.
        "LOG_LEVEL": "ERROR",
    }


def setup_django(db: BenchDatabase) -> None:
    os.environ.update(bench_environment(db))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def alain_settings(**overrides: Any) -> Iterator[dict[str, Any]]:
    """settings.ALAIN with `overrides` for the duration of a part."""
    from django.conf import settings

    saved = settings.ALAIN
    settings.ALAIN = {**saved, **overrides}
    try:
        yield settings.ALAIN
    finally:
        settings.ALAIN = saved


def teacher_settings(base_url: str, *, concurrency: int, section_concurrency: int) -> dict[str, Any]:
    """settings.ALAIN for the fake teacher as the `local` provider: short HTTP waits, no card in section prompts."""
    return {
        "LOCAL_BASE_URL": base_url,
        "LOCAL_MODEL": "fake-teacher",
        "LOCAL_CONCURRENCY": str(concurrency),
        "SECTION_CONCURRENCY": section_concurrency,
        "HTTP_TIMEOUT_SECONDS": 30.0,
        "HTTP_BACKOFF_BASE_SECONDS": 0.01,
        "HTTP_BACKOFF_MAX_SECONDS": 0.02,
    }


# --- the fake teacher's replies ------------------------------------------------------------------


def demo_reply(stage: str, *, max_sections: int, **context: Any) -> str:
    """What the offline demo teacher writes for `stage`: valid JSON a good teacher would send."""
    from tests.cluster.responders import demo_reply as reply_for

    return reply_for(stage, max_sections=max_sections, **context)


class DemoResponder:
    """A good teacher for runs of `max_sections` steps: the demo's plan, sections and wrap-up.

    Replies are written once up front, so answering costs the benchmark almost nothing.
    """

    def __init__(self, max_sections: int = SECTIONS) -> None:
        self.max_sections = max_sections
        self.outline = demo_reply("outline", max_sections=max_sections)
        plan = json.loads(self.outline)
        self.wrapup = demo_reply("wrapup", max_sections=max_sections, outline=plan)
        self.sections = {
            index: demo_reply("section", max_sections=max_sections, outline=plan, section_index=index)
            for index in range(max_sections)
        }
        self._lock = threading.Lock()
        self.asked: list[tuple[str, int | None]] = []

    def __call__(self, body: dict[str, Any]) -> str:
        from tests.cluster.responders import request_kind

        kind, index = request_kind(body)
        with self._lock:
            self.asked.append((kind, index))
        if kind == "outline":
            return self.outline
        if kind == "wrapup":
            return self.wrapup
        return self.sections[index or 0]


@contextmanager
def teacher_process(responder: DemoResponder) -> Iterator[str]:
    """A FakeTeacherServer in a child process; yields its base URL.

    In this process its request threads would share the interpreter lock with the run being
    measured; in its own process they only share the machine's cores.
    """
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve_teacher, args=(responder, theirs), name="fake-teacher", daemon=True)
    process.start()
    try:
        if not ours.poll(30):
            raise RuntimeError("the fake teacher process did not start within 30 s")
        yield ours.recv()
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(10)


def _serve_teacher(responder: DemoResponder, conn: Any) -> None:
    from tests.fakes.teacher_server import FakeTeacherServer

    server = FakeTeacherServer(responder=responder).start()
    conn.send(server.base_url)
    threading.Event().wait()  # serve until terminated


# --- runs in this process ------------------------------------------------------------------------


def create_local_run(base_url: str, *, max_sections: int = SECTIONS, execute: bool = False, created_by: Any = None):
    """A run of the card the fake teacher's replies were written for, taught by the fake teacher."""
    from generation.services import RunOptions, RunSource, run_create
    from tests.cluster.responders import CARD_TEXT, SUBJECT

    return run_create(
        source=RunSource(kind="text", ref=SUBJECT, text=CARD_TEXT),
        options=RunOptions(
            provider="local",
            teacher_model="fake-teacher",
            base_url=base_url,
            max_sections=max_sections,
            execute=execute,
        ),
        created_by=created_by,
    )


def execute_timed(run_id: int) -> tuple[Any, float]:
    """execute_run in this process; returns the finished run and its wall seconds."""
    from generation.pipeline.runner import execute_run

    started = time.perf_counter()
    run = execute_run(run_id)
    return run, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p50: fraction 0.5) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)
