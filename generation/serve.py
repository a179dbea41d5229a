"""`alain serve`: the web process and a django-q2 cluster started and stopped together.

The embedded default for one machine (`make run`). Each child runs in its own session so that
Ctrl-C reaches this supervisor only, which then stops both in order: SIGTERM, and SIGKILL for a
child still alive after a grace period (FIELD_NOTES: after worker deaths `qcluster` can hang
while stopping). Several hosts run `manage.py qcluster` themselves against PostgreSQL instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from django.conf import settings

from generation.cli import GenerateRequest, Progress, generate_manual

STOP_GRACE_SECONDS = 10.0
SAMPLE_WAIT_SECONDS = 1800.0


class Children:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str]) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        self.procs[name] = subprocess.Popen([sys.executable, manage, *args], start_new_session=True)
        self.out.write(f"[alain] {name} started (pid {self.procs[name].pid})\n")
        self.out.flush()

    def dead(self) -> list[str]:
        return [f"{name} exited with {proc.returncode}" for name, proc in self.procs.items() if proc.poll() is not None]

    def stop(self) -> None:
        # SIGTERM to each main process only: qcluster stops its own workers (signalling them
        # too can leave it stuck "stopping"). Whatever is left after the grace period, children
        # included, is killed with its whole process group.
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.out.write(f"[alain] {name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it\n")
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        self.out.write("[alain] web process and workers stopped\n")
        self.out.flush()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def first_user(addr: str) -> str:
    """How to sign in: a first admin from ALAIN_ADMIN_PASSWORD, or how to create one.

    No password is ever made up and printed: terminals end up in logs.
    """
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if users.exists():
        return f"sign in at http://{addr}/accounts/login/"
    password = os.environ.get("ALAIN_ADMIN_PASSWORD", "")
    if password:
        users.create_superuser("admin", "admin@localhost", password)
        return f"sign in at http://{addr}/accounts/login/ as `admin` with the password in ALAIN_ADMIN_PASSWORD"
    return (
        "no user yet: create one with `.venv/bin/python manage.py createsuperuser` "
        "(or start with ALAIN_ADMIN_PASSWORD=... to create `admin`)"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(*, addr: str, sample: Path | None, out_dir: Path, execute: bool, once: bool, out: TextIO) -> int:
    """Run until Ctrl-C (or, with `once`, until the sample manual is done); returns an exit code."""
    children = Children(out)
    # Ctrl-C and SIGTERM (a service manager) stop both children. SIGINT is set explicitly: a
    # shell that starts us in the background leaves it ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        children.start("qcluster", ["qcluster"])
        children.start("web", ["runserver", addr, "--noreload"])
        if sample is not None:
            request = GenerateRequest(
                source_file=sample, out_dir=out_dir, execute=execute, queue=True, wait_timeout=SAMPLE_WAIT_SECONDS
            )
            outcome = generate_manual(request, progress=Progress())
            out.write(f"{outcome.message}\n")
            if outcome.folder is not None:
                out.write(f"{outcome.folder}\n")
            out.flush()
            code = outcome.exit_code
        if once:
            return code
        out.write(f"[alain] serving on http://{addr}/ ; Ctrl-C stops the web process and workers\n")
        out.write(f"[alain] {first_user(addr)}\n")
        out.flush()
        while not (dead := children.dead()):
            time.sleep(0.5)
        out.write(f"[alain] {'; '.join(dead)}; stopping\n")
        return 1
    except KeyboardInterrupt:
        return code
    finally:
        children.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
