"""Turn the executor's event log into findings and an executed copy of the notebook."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from generation.pipeline.validators import FindingData

VALIDATOR = "execution"
TRACEBACK_LINES = 6
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")
# A section the teacher wrote can be regenerated; the builder's own cells cannot.
_REGENERABLE_ROLES = {"step-code"}


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def finding(
    code: str, severity: str, message: str, cell_index: int | None = None, *, fixable: bool = False
) -> FindingData:
    return FindingData(VALIDATOR, code, severity, message, cell_index, fixable)


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete line of the events file (a killed worker may leave half a line)."""
    events = []
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


@dataclass
class Outcome:
    findings: list[FindingData] = field(default_factory=list)
    notebook: NotebookNode | None = None
    cell_seconds: dict[int, float] = field(default_factory=dict)
    kernel_start_seconds: float | None = None
    finished: bool = False


def _role(nb: NotebookNode, index: int) -> str:
    return str(nb.cells[index].get("metadata", {}).get("alain", {}).get("role", ""))


def _error_finding(nb: NotebookNode, index: int, error: dict[str, Any]) -> FindingData:
    ename, evalue = str(error.get("ename", "Error")), strip_ansi(str(error.get("evalue", "")))
    fixable = _role(nb, index) in _REGENERABLE_ROLES
    if ename == "ModuleNotFoundError":
        match = _MISSING_MODULE.search(evalue)
        module = match.group(1) if match else evalue
        return finding(
            "missing-module",
            "error",
            f"Cell {index} imports `{module}`, which is not available in the validation environment "
            f"(ModuleNotFoundError: {evalue}). Use the pinned packages of the setup cell, or the standard library.",
            index,
            fixable=fixable,
        )
    lines = [line.rstrip() for tb in error.get("traceback", []) for line in strip_ansi(str(tb)).splitlines()]
    tail = "\n".join(line for line in lines if line.strip(" -"))
    tail = "\n".join(tail.splitlines()[-TRACEBACK_LINES:])
    message = f"Cell {index} raised {ename}: {evalue}"
    if tail:
        message += f"\n{tail}"
    return finding("cell-error", "error", message, index, fixable=fixable)


def _cell_findings(
    nb: NotebookNode, event: dict[str, Any], *, cell_timeout: float, first_truncation: bool
) -> list[FindingData]:
    index = int(event["index"])
    fixable = _role(nb, index) in _REGENERABLE_ROLES
    if event.get("truncated") and first_truncation:
        return [
            finding(
                "output-too-large",
                "error",
                f"Cell {index} printed more output than the validation cap; the output was truncated and the "
                "cell interrupted. Print summaries, not whole data sets.",
                index,
                fixable=fixable,
            )
        ]
    if event.get("timed_out"):
        return [
            finding(
                "cell-timeout",
                "error",
                f"Cell {index} did not finish within {cell_timeout:g} s and was interrupted.",
                index,
                fixable=fixable,
            )
        ]
    errors = [out for out in event.get("outputs", []) if out.get("output_type") == "error"]
    return [_error_finding(nb, index, error) for error in errors[:1]]


def _not_run(nb: NotebookNode, after: int | None, executable: Iterable[int], reason: str) -> list[FindingData]:
    start = -1 if after is None else after
    return [
        finding("cell-not-run", "warning", f"Cell {index} did not run: {reason}.", index)
        for index in executable
        if index > start
    ]


def build_outcome(
    nb: NotebookNode,
    events: list[dict[str, Any]],
    *,
    executable: list[int],
    cell_timeout: float,
    total_timeout: float,
    worker_log: str,
    worker_killed: bool,
) -> Outcome:
    """Findings for what happened, and `nb` with the outputs of every cell that ran."""
    outcome = Outcome(notebook=copy.deepcopy(nb))
    ran: set[int] = set()
    truncation_seen = False
    for event in events:
        kind = event.get("event")
        if kind == "kernel-ready":
            outcome.kernel_start_seconds = float(event.get("seconds", 0.0))
        elif kind == "cell":
            index = int(event["index"])
            ran.add(index)
            outcome.cell_seconds[index] = float(event.get("seconds", 0.0))
            cell = outcome.notebook.cells[index]
            cell.outputs = [nbformat.from_dict(out) for out in event.get("outputs", [])]
            cell.execution_count = event.get("execution_count")
            outcome.findings += _cell_findings(
                nb, event, cell_timeout=cell_timeout, first_truncation=not truncation_seen
            )
            truncation_seen = truncation_seen or bool(event.get("truncated"))
        elif kind == "kernel-died":
            index = event.get("index")
            where = f"while running cell {index}" if index is not None else "outside any cell"
            outcome.findings.append(
                finding(
                    "kernel-died",
                    "error",
                    f"The kernel died {where} (killed, out of memory, or over a process limit).",
                    index,
                )
            )
            outcome.findings += _not_run(nb, index, executable, "the kernel died before it")
            if index is not None:
                outcome.cell_seconds[int(index)] = float(event.get("seconds", 0.0))
        elif kind == "notebook-timeout":
            index = int(event["index"])
            outcome.findings.append(_notebook_timeout(total_timeout, index))
            outcome.findings += _not_run(nb, index, executable, "the notebook's time limit ran out")
        elif kind == "kernel-failed":
            outcome.findings.append(
                finding(
                    "kernel-start-failed",
                    "error",
                    f"The sandboxed kernel did not start: {event.get('message')}\n{worker_log}",
                )
            )
        elif kind == "worker-crashed":
            outcome.findings.append(
                finding("execution-crashed", "error", f"The executor crashed: {event.get('message')}")
            )
        elif kind == "finished":
            outcome.finished = True

    reported = {f.code for f in outcome.findings}
    ended = reported & {"kernel-died", "notebook-timeout", "kernel-start-failed", "execution-crashed"}
    if not outcome.finished and not ended:
        last = max(ran, default=None)
        if worker_killed:
            current = next((i for i in executable if last is None or i > last), None)
            outcome.findings.append(_notebook_timeout(total_timeout, current))
            outcome.findings += _not_run(nb, current, executable, "the notebook's time limit ran out")
        else:
            outcome.findings.append(
                finding("execution-crashed", "error", f"The executor stopped without finishing.\n{worker_log}")
            )
    return outcome


def _notebook_timeout(total_timeout: float, index: int | None) -> FindingData:
    where = f" while running cell {index}" if index is not None else ""
    return finding(
        "notebook-timeout",
        "error",
        f"The notebook did not finish within its {total_timeout:g} s limit{where}; the kernel was stopped.",
        index,
    )
