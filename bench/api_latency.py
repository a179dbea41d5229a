"""API: p50/p95 of reading a run, by API token and as the portal's run page, under concurrent clients.

Served by a multi-process WSGI server: gunicorn (`alain_site.wsgi:application`) on a free
loopback port with 4 sync workers, DEBUG off, on the benchmark's database, the static files
collected and served by WhiteNoise (one is fetched to check). The run read is a finished run of 6
sections with its teacher calls, findings, artifacts and events. The API is read with a
personal token, the page with a session signed in through the login form. The API's per-client
rate limit is off (ALAIN_API_RATE_PER_MINUTE=0): it would answer 429 long before the server is
the bottleneck.

Workers, measured on this 2-core machine while other work kept it loaded (load average 3 to 5;
PostgreSQL; 20 clients x 25 requests; p50/p95 in ms, ranges over 2 or 3 runs each):

    --workers 4 (sync)                API 205-215 / 252-281, page 328-355 / 380-407
    --workers 5 (sync, 2 x cores + 1) API 224-255 / 268-319, page 369-386 / 449-523
    --workers 2 --threads 4 (gthread) API 194-237 / 330-444, page 296-388 / 575-737
    runserver (1 process)             API 401 / 593,         page 771 / 1406

A request is mostly Python (each query answers in under a millisecond here): the threads of one
gthread worker take turns on its interpreter lock, which shows in its p95. Sync processes use
both cores; 4 keep them busy while some wait on PostgreSQL or the network, and a fifth changed
nothing measurable.

In full mode, `manage.py runserver --noreload` (one process, a thread per connection) is
measured too, as the comparison row.
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
from dataclasses import dataclass, field
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
# See the module docstring for the choices measured.
GUNICORN_WORKERS = 4
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Server:
    """A WSGI server to measure: its name in the table, its command (`{port}` filled in), its environment."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


GUNICORN = Server(
    f"gunicorn, {GUNICORN_WORKERS} sync workers",
    (
        sys.executable,
        "-m",
        "gunicorn",
        "alain_site.wsgi:application",
        "--bind",
        "127.0.0.1:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
        "--log-level",
        "warning",
        # Django is imported once, before the workers fork, instead of by each on 2 shared cores
        # (ready in about 5 s instead of 8 here); nothing opens a connection at import.
        "--preload",
        # Its default control socket is one path per user: two benchmarks at once would collide.
        "--no-control-socket",
    ),
)
RUNSERVER = Server(
    "runserver, 1 process",
    (sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"),
    # runserver serves each connection in a new thread, and Django's connections are per thread:
    # kept for 60 s (the default) they would pile up until PostgreSQL refuses more, so each
    # request's database connection closes with it, as Django advises for this server.
    # gunicorn's workers keep theirs, as in a deployment.
    {"DB_CONN_MAX_AGE": "0"},
)


def run(mode: Mode) -> PartResult:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from alain_site.accounts.roles import AUTHORS, ensure_role
    from alain_site.accounts.tokens import create_token

    per_client = mode.pick(25, 3)
    servers = mode.pick([GUNICORN, RUNSERVER], [GUNICORN])
    result = PartResult("api")
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user(username="bench-author", password=password)
    ensure_role(user, AUTHORS)
    _, key = create_token(user, name="benchmark")
    tutorial_id = finished_run(created_by=user)
    # WhiteNoise serves what collectstatic put in STATIC_ROOT (as `make run` does). Compressing
    # every file again would take seconds; the figures are about the JSON and HTML.
    call_command("collectstatic", interactive=False, verbosity=0, post_process=False)
    scratch = Path(settings.MEDIA_ROOT).parent
    for server in servers:
        with serving(server, scratch / "server.log") as base:
            check_static_files(base)
            session = signed_in_session(base, username=user.get_username(), password=password)
            targets: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
                ("GET /api/runs/{id} (token)", f"/api/runs/{tutorial_id}", {"Authorization": f"Bearer {key}"}, {}),
                ("portal run page /runs/{id}/ (session)", f"/runs/{tutorial_id}/", {}, session),
            ]
            for label, path, headers, cookies in targets:
                result.figures.append(measure(result, server, base, label, path, headers, cookies, per_client))
    return result


def measure(
    result: PartResult,
    server: Server,
    base: str,
    label: str,
    path: str,
    headers: dict[str, str],
    cookies: dict[str, str],
    per_client: int,
) -> Figure:
    # Loaded first: its clients' warm-ups reach every worker, so the one client alone after it
    # (the time a request takes when it never waits for another) does not meet a cold worker.
    measured = load(base + path, headers=headers, cookies=cookies, per_client=per_client)
    alone = load(base + path, headers=headers, cookies=cookies, per_client=per_client, clients=1)
    p50, p95 = percentile(measured.latencies, 0.5) * 1000, percentile(measured.latencies, 0.95) * 1000
    failures = measured.failures + alone.failures
    log(f"api: {label}, {server.name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {failures} failed")
    if failures:
        result.details.append(f"api: {label}, {server.name}: {failures} requests were not answered 200")
    return Figure(
        "api",
        f"{label}, {CLIENTS} clients x {per_client} requests, {server.name}",
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms ({measured.per_second:.0f} requests/s); "
        f"one client alone: p50 {percentile(alone.latencies, 0.5) * 1000:.0f} ms",
        goal="every answer 200",
        met=failures == 0,
        timed=False,
    )


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
def serving(server: Server, log_path: Path, *, timeout: float = 60.0) -> Iterator[str]:
    """`server` on a free loopback port, in its own process group; yields its URL, then stops the group."""
    port = free_port()
    env = {**os.environ, "ALAIN_API_RATE_PER_MINUTE": "0", "DEBUG": "0", **server.env}
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [arg.format(port=port) for arg in server.argv],
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
                raise RuntimeError(f"{server.name} exited with {proc.returncode}: {log_path.read_text()[-800:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/health", timeout=5).status_code in (200, 503):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM to the server and every worker it forked; SIGKILL to whatever is left after `grace`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def check_static_files(base: str) -> None:
    """The page's stylesheet is served (WhiteNoise, from STATIC_ROOT); raise if it is not."""
    from django.templatetags.static import static

    url = base + static("css/alain.css")
    answer = httpx.get(url, timeout=30)
    if answer.status_code != 200:
        raise RuntimeError(f"{url} answered {answer.status_code}: static files are not served")


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

    Not keep-alive, for every server alike: gunicorn's sync workers close each connection
    anyway, and runserver (wsgiref) writes a response in pieces, so on a kept-alive loopback
    connection the client's delayed ACK holds each answer back ~40 ms (one client: 60 ms a
    request kept alive, 24 ms with a new connection).
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
