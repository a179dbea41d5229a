"""API: p50/p95 of reading a run, by API token and as the portal's run page, under concurrent clients.

A real server process on loopback (`manage.py runserver --noreload`: Django's threaded
development server, the only WSGI server the project installs; DEBUG off; one process, so one
core's worth of Python) on the benchmark's database, reading a finished run of 6 sections with
its teacher calls, findings, artifacts and events. The API is read with a personal token, the page with a session signed in through the
login form. The API's per-client rate limit is off (ALAIN_API_RATE_PER_MINUTE=0): it would
answer 429 long before the server is the bottleneck.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    ROOT,
    SECTIONS,
    DemoResponder,
    Figure,
    Mode,
    PartResult,
    alain_settings,
    create_local_run,
    execute_timed,
    log,
    percentile,
    teacher_settings,
)

CLIENTS = 20
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def run(mode: Mode) -> PartResult:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from alain_site.accounts.roles import AUTHORS, ensure_role
    from alain_site.accounts.tokens import create_token

    per_client = mode.pick(25, 3)
    result = PartResult("api")
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user(username="bench-author", password=password)
    ensure_role(user, AUTHORS)
    _, key = create_token(user, name="benchmark")
    tutorial_id = finished_run(created_by=user)
    scratch = Path(settings.MEDIA_ROOT).parent
    with django_server(scratch / "runserver.log") as base:
        session = signed_in_session(base, username=user.get_username(), password=password)
        targets: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
            ("GET /api/runs/{id} (token)", f"/api/runs/{tutorial_id}", {"Authorization": f"Bearer {key}"}, {}),
            ("portal run page /runs/{id}/ (session)", f"/runs/{tutorial_id}/", {}, session),
        ]
        for label, path, headers, cookies in targets:
            # One client alone first: the time a request takes when it never waits for another.
            alone = load(base + path, headers=headers, cookies=cookies, per_client=per_client, clients=1)
            measured = load(base + path, headers=headers, cookies=cookies, per_client=per_client)
            p50, p95 = percentile(measured.latencies, 0.5) * 1000, percentile(measured.latencies, 0.95) * 1000
            failures = measured.failures + alone.failures
            log(f"api: {label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {failures} failed")
            result.figures.append(
                Figure(
                    "api",
                    f"{label}, {CLIENTS} clients x {per_client} requests, runserver",
                    f"p50 {p50:.0f} ms, p95 {p95:.0f} ms ({measured.per_second:.0f} requests/s); "
                    f"one client alone: p50 {percentile(alone.latencies, 0.5) * 1000:.0f} ms",
                    goal="every answer 200",
                    met=failures == 0,
                    timed=False,
                )
            )
            if failures:
                result.details.append(f"api: {label}: {failures} requests were not answered 200")
    return result


def finished_run(*, created_by) -> str:
    """A succeeded run of the fake teacher's manual, owned by `created_by`; its tutorial id."""
    from generation.models import RunStatus
    from tests.fakes.teacher_server import FakeTeacherServer

    with FakeTeacherServer(responder=DemoResponder(SECTIONS)) as server:
        config = teacher_settings(server.base_url, concurrency=SECTIONS + 1, section_concurrency=SECTIONS + 1)
        with alain_settings(**config):
            run, _ = execute_timed(create_local_run(server.base_url, created_by=created_by).pk)
    if run.status != RunStatus.SUCCEEDED:
        raise RuntimeError(f"the run to read failed: {run.error_message}")
    return run.tutorial_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def django_server(log_path: Path, *, timeout: float = 60.0) -> Iterator[str]:
    """`manage.py runserver --noreload` on a free loopback port, in its own process group; yields its URL."""
    port = free_port()
    # runserver serves each connection in a new thread, and Django's connections are per thread:
    # kept for 60 s (the default) they would pile up until PostgreSQL refuses more, so each
    # request's database connection closes with it, as Django advises for this server.
    env = {**os.environ, "ALAIN_API_RATE_PER_MINUTE": "0", "DEBUG": "0", "DB_CONN_MAX_AGE": "0"}
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"runserver exited with {proc.returncode}: {log_path.read_text()[-800:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/health", timeout=5).status_code in (200, 503):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"runserver did not answer within {timeout:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def signed_in_session(base: str, *, username: str, password: str) -> dict[str, str]:
    """Cookies of a session signed in through the portal's login form, CSRF token and all."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/accounts/login/")
        match = _CSRF_FIELD.search(page.text)
        if page.status_code != 200 or match is None:
            raise RuntimeError(f"the login page answered {page.status_code} without a CSRF token")
        answer = client.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)},
            headers={"Referer": base + "/accounts/login/"},
        )
        if answer.status_code != 302 or "sessionid" not in client.cookies:
            raise RuntimeError(f"signing in failed: HTTP {answer.status_code}")
        return dict(client.cookies.items())


@dataclass
class Load:
    latencies: list[float]  # seconds of every request answered
    failures: int  # requests not answered 200, and clients that stopped on an error
    seconds: float  # from the moment every client was ready to the last answer

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def load(
    url: str, *, headers: dict[str, str], cookies: dict[str, str], per_client: int, clients: int = CLIENTS
) -> Load:
    """`clients` threads, `per_client` GETs each after one warm-up; one connection per request.

    Not keep-alive: runserver (wsgiref) writes a response in pieces, and on a kept-alive loopback
    connection the client's delayed ACK then holds each answer back ~40 ms (one client: 60 ms a
    request kept alive, 24 ms with a new connection). That is the development server, not ALAIN.
    So every request also opens a database connection (see `django_server`), as it would on a
    kept-alive one: runserver gives every connection a new thread.
    """
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    began: list[float] = []
    # Every client warms up first; the clock starts when the last one is ready.
    start = threading.Barrier(clients, action=lambda: began.append(time.perf_counter()), timeout=120)

    def client_loop() -> None:
        with httpx.Client(headers={**headers, "Connection": "close"}, cookies=cookies, timeout=60) as client:
            client.get(url)  # warm-up: connection and the server's first-request work
            start.wait()
            mine, bad = [], 0
            for _ in range(per_client):
                began = time.perf_counter()
                answer = client.get(url)
                mine.append(time.perf_counter() - began)
                bad += answer.status_code != 200
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=_report_errors(client_loop, failures, lock)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not latencies or not began:
        raise RuntimeError(f"no request to {url} was answered")
    return Load(latencies, failures[0], time.perf_counter() - began[0])


def _report_errors(fn: Callable[[], None], failures: list[int], lock: threading.Lock) -> Callable[[], None]:
    def wrapped() -> None:
        try:
            fn()
        except (httpx.HTTPError, threading.BrokenBarrierError) as exc:
            log(f"api: a client stopped: {type(exc).__name__}: {exc}")
            with lock:
                failures[0] += 1

    return wrapped
