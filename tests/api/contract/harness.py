"""What the schemathesis test needs besides its checks: seeded peers, the CLI's config, its reports.

The server is pytest-django's `live_server` (a thread of the test process, on the test database,
SQLite or PostgreSQL alike); the schemathesis CLI runs as a subprocess against it. `ServerLog`
records every request the server answered (schemathesis's own, its probes and the replays of
`checks.py`), so the request count is the server's, not an estimate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse

from alain_site.accounts.roles import add_to_team, ensure_role
from alain_site.accounts.tokens import create_token
from generation import queueing, services
from generation.models import Run, RunStatus
from generation.pipeline.runner import execute_run
from generation.services import RunOptions, RunSource
from providers.demo import DemoTeacher
from tests.api.contract.checks import FIXTURE_ENV
from tests.generation.factories import SAMPLE_CARD

REPO_ROOT = Path(__file__).resolve().parents[3]
HOOKS_MODULE = "tests.api.contract.checks"
# The ALAIN check registered by checks.py, beside schemathesis's own.
OWN_CHECK = "another_users_run_is_not_found"
# The failure codes of the report (`st explain CODE`) that issue 7's acceptance forbids, by check.
FORBIDDEN = {
    "ST101": "not_a_server_error",
    "ST401": "ignored_auth",
    "ST402": "object_level_authorization",
}
CUSTOM_CODE = "ST901"  # a custom check's failure; its title names the check
DEMO_OPTIONS = RunOptions(provider="demo", teacher_model="alain-demo", max_sections=3, execute=False)


def schemathesis_executable() -> str | None:
    """The `schemathesis` script of this interpreter's environment, else one on PATH."""
    beside = Path(sys.executable).with_name("schemathesis")
    return str(beside) if beside.exists() else shutil.which("schemathesis")


# -- the seeded users ------------------------------------------------------------------------


@dataclass
class Peer:
    name: str
    token: str
    runs: dict[str, Run] = field(default_factory=dict)  # "queued", "failed", "succeeded" -> run

    @property
    def refs(self) -> list[str]:
        """Both names of every run (the API takes the tutorial id or the public id)."""
        return [ref for run in self.runs.values() for ref in (run.tutorial_id, str(run.public_id))]


def seed_peer(name: str, team: str) -> Peer:
    """An author in `team` with an API token and three runs of the team: queued, failed and succeeded.

    Nothing executes the queued run (there is no cluster); the other two are run here, in this
    process, by the demo teacher without the sandbox.
    """
    user = get_user_model().objects.create_user(username=name, password="a-long-password-123")
    ensure_role(user, "authors")
    group = add_to_team(user, team)
    _, key = create_token(user, name="schemathesis")
    card = RunSource(kind="text", ref=f"{name}'s card", text=SAMPLE_CARD)
    peer = Peer(name=name, token=key)
    peer.runs["queued"] = queueing.queue_new_run(
        source=card, options=DEMO_OPTIONS, subject=f"{name}-queued", created_by=user, team=group
    )
    teacher = DemoTeacher(model="alain-demo")
    empty = RunSource(kind="text", ref="empty", text=" ")
    failed = services.run_create(
        source=empty, options=DEMO_OPTIONS, subject=f"{name}-failed", created_by=user, team=group
    )
    peer.runs["failed"] = execute_run(failed.pk, teacher=teacher)
    done = services.run_create(source=card, options=DEMO_OPTIONS, subject=f"{name}-done", created_by=user, team=group)
    peer.runs["succeeded"] = execute_run(done.pk, teacher=teacher)
    assert peer.runs["failed"].status == RunStatus.FAILED, peer.runs["failed"].status
    assert peer.runs["succeeded"].status == RunStatus.SUCCEEDED, peer.runs["succeeded"].error_message
    return peer


# -- what the server saw ---------------------------------------------------------------------


class Served(NamedTuple):
    """One request the live server answered, and the user its credentials named ("" for none)."""

    method: str
    path: str
    status: int
    user: str


@dataclass
class ServerLog:
    """Every request the live server answered while installed."""

    requests: list[Served] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, monkeypatch: Any) -> ServerLog:
        answer = BaseHandler.get_response
        log = self

        def get_response(handler: BaseHandler, request: HttpRequest) -> HttpResponse:
            response = answer(handler, request)
            # The API's auth sets a real user; the session's lazy user is left unevaluated.
            user = request.__dict__.get("user")
            name = user.get_username() if isinstance(user, AbstractBaseUser) else ""
            with log.lock:
                log.requests.append(Served(request.method or "", request.path, response.status_code, name))
            return response

        monkeypatch.setattr(BaseHandler, "get_response", get_response)
        return self

    def mark(self) -> int:
        with self.lock:
            return len(self.requests)

    def since(self, mark: int) -> list[Served]:
        with self.lock:
            return list(self.requests[mark:])


def status_classes(requests: list[Served]) -> dict[str, int]:
    counts = Counter(f"{served.status // 100}xx" for served in requests)
    return dict(sorted(counts.items()))


def on_runs_of(peer: Peer, path: str) -> bool:
    """Whether `path` is under one of the peer's seeded runs (/api/runs/{ref}...)."""
    return any(path == f"/api/runs/{ref}" or path.startswith(f"/api/runs/{ref}/") for ref in peer.refs)


# -- the CLI ---------------------------------------------------------------------------------


@dataclass
class Settings:
    """How much schemathesis tries: examples per operation and phase, stateful steps, the seed."""

    max_examples: int = 25
    stateful_steps: int = 10
    seed: int = 7
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")


def write_inputs(directory: Path, base_url: str, peers: list[Peer], settings: Settings) -> Path:
    """The WFC auth document, the checks' fixture and schemathesis.toml; returns the config's path."""
    directory.mkdir(parents=True, exist_ok=True)
    auth = {
        "auth": [
            {"name": peer.name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {peer.token}"}]}
            for peer in peers
        ]
    }
    (directory / "auth.json").write_text(json.dumps(auth, indent=1), encoding="utf-8")
    fixture = {"users": {peer.name: {"token": peer.token, "runs": peer.refs} for peer in peers}}
    (directory / "fixture.json").write_text(json.dumps(fixture, indent=1), encoding="utf-8")
    refs = [ref for peer in peers for ref in peer.refs]
    config = f"""
color = false
seed = {settings.seed}
workers = 1
request-timeout = 60
base-url = {json.dumps(base_url)}
warnings = false

[generation]
max-examples = {settings.max_examples}
database = "none"

[phases.stateful]
max-steps = {settings.stateful_steps}

[auth.wfc]
path = {json.dumps(str(directory / "auth.json"))}
peers = {json.dumps([peer.name for peer in peers])}

# Runs named in paths and bodies are the seeded runs (both users', both forms) half of the time,
# so requests reach real runs, one's own and the other user's, not only 404s.
[dictionaries.runs]
values = {json.dumps(refs)}

[dictionaries.steps]
values = [1, 2, 3]

[parameters]
"path.ref" = {{ dictionary = "runs", probability = 0.5 }}
"body.run" = {{ dictionary = "runs", probability = 0.5 }}
"path.n" = {{ dictionary = "steps", probability = 0.5 }}
"""
    path = directory / "schemathesis.toml"
    path.write_text(config.lstrip(), encoding="utf-8")
    return path


@dataclass
class Outcome:
    """One CLI run: its exit code, output and JSON report."""

    user: str
    exit_code: int
    output: str
    report: dict[str, Any]
    requests: list[Served]

    @property
    def failures_by_check(self) -> dict[str, int]:
        """Unique failures by "CODE title" (ST103 Undocumented status code, ...)."""
        counts: Counter[str] = Counter()
        for group in self.report.get("failures") or []:
            counts[f"{group.get('code')} {group.get('title')}"] += int(group.get("count") or 1)
        return dict(sorted(counts.items()))

    @property
    def test_cases(self) -> int:
        return int((self.report.get("test_cases") or {}).get("generated") or 0)

    def forbidden_failures(self) -> list[dict[str, Any]]:
        """Server errors, ignored auth, and object-level authorization failures (theirs and ours)."""
        return [
            group
            for group in self.report.get("failures") or []
            if group.get("code") in FORBIDDEN
            or (group.get("code") == CUSTOM_CODE and OWN_CHECK in str(group.get("title")))
        ]

    def failure_details(self) -> str:
        """The CLI's FAILURES section: each failure with its response and a curl line to reproduce it."""
        start = self.output.find("= FAILURES =")
        end = self.output.find("= SUMMARY =")
        return self.output[start:end] if start >= 0 else ""

    def errors(self) -> list[dict[str, Any]]:
        return list(self.report.get("errors") or [])

    def summary(self) -> str:
        return (
            f"schemathesis as {self.user}: {self.test_cases} test cases, {len(self.requests)} requests answered "
            f"by the server {status_classes(self.requests)}, failures by check {self.failures_by_check or 'none'}, "
            f"exit code {self.exit_code}"
        )


def run_schemathesis(
    *,
    config: Path,
    schema_url: str,
    user: str,
    report_dir: Path,
    server: ServerLog,
    extra: tuple[str, ...] = (),
    timeout: float = 600,
) -> Outcome:
    """`schemathesis run --checks all` as `user` (the other peers are loaded for the probes)."""
    executable = schemathesis_executable()
    assert executable, "the schemathesis CLI is missing (pip install -e '.[dev]')"
    report_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS_MODULE,
        FIXTURE_ENV: str(config.parent / "fixture.json"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
        "NO_COLOR": "1",
        "COLUMNS": "160",
    }
    command = [
        executable,
        "--config-file",
        str(config),
        "run",
        schema_url,
        "--checks",
        "all",
        "--auth-wfc-user",
        user,
        "--report",
        "json,junit",
        "--report-dir",
        str(report_dir),
        "--report-json-path",
        str(report_dir / "report.json"),
        *extra,
    ]
    mark = server.mark()
    done = subprocess.run(
        command, cwd=config.parent, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    (report_dir / "output.txt").write_text(output, encoding="utf-8")
    report_path = report_dir / "report.json"
    assert report_path.exists(), f"schemathesis wrote no report (exit {done.returncode}):\n{output[-6000:]}"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return Outcome(user=user, exit_code=done.returncode, output=output, report=report, requests=server.since(mark))
