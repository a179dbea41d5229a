"""Execution validation: run a manual top to bottom in a fresh, sandboxed kernel and report findings.

The notebook never steers its own run: the kernel is ours (passed by name, from a kernelspec in a
throwaway directory), cell tags and notebook metadata are stripped from the copy that runs, and
the limits come from the caller alone.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from generation.pipeline.execution import sandbox
from generation.pipeline.execution.findings import build_outcome, finding, read_events
from generation.pipeline.validators import FindingData

MAX_OUTPUT_BYTES = 5_000_000
KERNEL_STARTUP_SECONDS = 60
# Time for the executor to start and shut the kernel down, on top of the notebook's own limit.
GRACE_SECONDS = 20
DEFAULT_MODEL = "validation-model"
_WORKER = Path(__file__).resolve().parent / "worker.py"
_INSTALL_LINE = re.compile(
    r"^\s*(?:[%!]\s*(?:pip3?|conda|mamba|uv\s+pip)|pip3?|!\s*\S*python\S*\s+-m\s+pip)\s+install\b", re.IGNORECASE
)


@dataclass
class ExecutionResult:
    findings: list[FindingData]
    notebook: NotebookNode  # a copy of the input with the outputs of every cell that ran
    cell_seconds: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0  # wall clock, kernel start included
    kernel_start_seconds: float | None = None
    sandbox: str = ""
    executed: bool = False  # False when the notebook never ran (no sandbox, kernel did not start)
    sandboxed: bool = True  # False only with allow_unsandboxed=True and no working sandbox
    skipped_cells: list[int] = field(default_factory=list)
    run_dir: str = ""  # the throwaway directory, removed before returning (named here for audits and tests)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "executed": self.executed,
            "sandboxed": self.sandboxed,
            "sandbox": self.sandbox,
            "seconds": round(self.seconds, 3),
            "kernel_start_seconds": self.kernel_start_seconds,
            "cell_seconds": {str(k): v for k, v in sorted(self.cell_seconds.items())},
            "skipped_cells": self.skipped_cells,
            "run_dir": self.run_dir,
            "findings": [asdict(f) for f in self.findings],
        }


def is_install_cell(cell: NotebookNode) -> bool:
    """A setup cell that only installs packages: the validation kernel has them already, and no network."""
    if cell.cell_type != "code":
        return False
    if cell.get("metadata", {}).get("alain", {}).get("role") == "setup-install":
        return True
    lines = [line for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
    return bool(lines) and all(_INSTALL_LINE.match(line) for line in lines)


def notebook_model(nb: NotebookNode) -> str:
    """The model the manual is about (what ALAIN_MODEL names in the kernel), cleaned for an argv."""
    alain = nb.get("metadata", {}).get("alain", {})
    raw = str(alain.get("subject") or alain.get("source", {}).get("ref") or DEFAULT_MODEL)
    cleaned = "".join(ch for ch in raw if ch.isprintable()).strip()[:200]
    return cleaned or DEFAULT_MODEL


def _execution_copy(nb: NotebookNode) -> NotebookNode:
    """What the kernel runs: the cells' sources only, without tags or metadata that could steer nbclient."""
    runnable = nbformat.v4.new_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code":
            runnable.cells.append(nbformat.v4.new_code_cell(source=cell.source))
        else:
            runnable.cells.append(nbformat.v4.new_markdown_cell(source=""))
    return runnable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unsandboxed_argv(paths: sandbox.SandboxPaths, *, model: str) -> list[str]:
    """Explicit opt-in only: the kernel runs as us, with the host's files and network, but an empty environment."""
    port = _free_port()
    env = sandbox.kernel_environment(paths, model=model)
    env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
    files = paths.files_dir
    launcher = [sys.executable, "-I", str(files / "kernel_launcher.py"), str(files / "stub_openai.py"), str(port)]
    # No process cap here: outside a user namespace RLIMIT_NPROC counts every process of our uid.
    launcher += [model, "0", "-f", "{connection_file}"]
    return ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *launcher]


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def execute_notebook(
    nb: NotebookNode,
    *,
    cell_timeout: float = 60,
    total_timeout: float = 600,
    memory_mb: int = 2048,
    allow_unsandboxed: bool = False,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
    model: str | None = None,
) -> ExecutionResult:
    """Run `nb` in a fresh sandboxed kernel; every problem becomes a finding of validator "execution"."""
    started = time.monotonic()
    findings: list[FindingData] = []
    skipped = [index for index, cell in enumerate(nb.cells) if is_install_cell(cell)]
    for index in skipped:
        findings.append(
            finding(
                "install-skipped",
                "info",
                f"Cell {index} installs packages; validation skipped it and used the packages already in "
                "its environment.",
                index,
            )
        )
    executable = [
        i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip() and i not in skipped
    ]
    limits = sandbox.SandboxLimits(memory_mb=memory_mb, cpu_seconds=max(int(total_timeout), 1))
    paths = sandbox.SandboxPaths.create()
    result = ExecutionResult(
        findings=findings, notebook=copy.deepcopy(nb), skipped_cells=skipped, run_dir=str(paths.base)
    )
    try:
        problem = sandbox.sandbox_problem(paths, limits)
        model = model or notebook_model(nb)
        if problem is None:
            argv = sandbox.kernel_argv(paths, limits, model=model)
            result.sandbox = sandbox.describe(paths, limits)
        elif allow_unsandboxed:
            argv = _unsandboxed_argv(paths, model=model)
            result.sandboxed = False
            result.sandbox = f"none: {problem}; ran unsandboxed by explicit opt-in (allow_unsandboxed=True)"
            findings.append(
                finding(
                    "unsandboxed",
                    "warning",
                    f"No sandbox could start ({problem}); the notebook ran without one because the caller "
                    "explicitly allowed it.",
                )
            )
        else:
            result.sandbox = f"unavailable: {problem}"
            findings.append(
                finding(
                    "sandbox-unavailable",
                    "error",
                    f"The notebook was not executed: the execution sandbox cannot start here ({problem}).",
                )
            )
            return result
        sandbox.write_kernelspec(paths, argv)
        _run_worker(
            paths,
            nb,
            result,
            executable=executable,
            cell_timeout=cell_timeout,
            total_timeout=total_timeout,
            max_output_bytes=max_output_bytes,
        )
        return result
    finally:
        survivors = sandbox.kill_sandbox_processes(paths)
        if survivors:
            findings.append(
                finding(
                    "processes-survived",
                    "error",
                    f"Processes {survivors} of this validation could not be stopped.",
                )
            )
        paths.remove()
        result.seconds = time.monotonic() - started


def _run_worker(
    paths: sandbox.SandboxPaths,
    nb: NotebookNode,
    result: ExecutionResult,
    *,
    executable: list[int],
    cell_timeout: float,
    total_timeout: float,
    max_output_bytes: int,
) -> None:
    notebook_path = paths.base / "notebook.ipynb"
    nbformat.write(_execution_copy(nb), str(notebook_path))
    events_path = paths.base / "events.jsonl"
    job = {
        "notebook": str(notebook_path),
        "events": str(events_path),
        "kernel_name": sandbox.KERNEL_NAME,
        "kernel_dir": str(paths.kernel_dir),
        "connection_file": str(paths.connection_file),
        "ipc_path": str(paths.ipc_path),
        "owner": [sandbox.host_uid(), sandbox.host_uid()] if sandbox.host_uid() != os.geteuid() else None,
        "cell_timeout": cell_timeout,
        "total_timeout": total_timeout,
        "startup_timeout": min(KERNEL_STARTUP_SECONDS, total_timeout),
        "max_output_bytes": max_output_bytes,
        "skip": sorted(set(range(len(nb.cells))) - set(executable)),
    }
    job_path = paths.base / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    log_path = paths.base / "worker.log"
    killed = False
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER), str(job_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=paths.base,
            start_new_session=True,  # its own process group, killed as one on the wall-clock limit
        )
        try:
            worker.wait(timeout=total_timeout + GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            killed = True
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    events = read_events(events_path)
    outcome = build_outcome(
        nb,
        events,
        executable=executable,
        cell_timeout=cell_timeout,
        total_timeout=total_timeout,
        worker_log=_tail(log_path),
        worker_killed=killed,
    )
    result.findings += outcome.findings
    result.notebook = outcome.notebook or result.notebook
    result.cell_seconds = outcome.cell_seconds
    result.kernel_start_seconds = outcome.kernel_start_seconds
    result.executed = outcome.kernel_start_seconds is not None
