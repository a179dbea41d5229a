"""Execution validation: seconds to run a typical manual in the sandbox, kernel start included.

The manual is the one the offline demo teacher writes for the bundled card
(generation/samples/Qwen3-0.6B.md, 5 steps), executed by stage 6's own function
(`execution.execute_notebook`, which `checking.execute_into` calls: a fresh kernel inside
bwrap, with the configured cell and total time limits).
"""

from __future__ import annotations

import shutil
import time

from bench.common import ROOT, Figure, Mode, PartResult, log, median

SAMPLE_CARD = ROOT / "generation" / "samples" / "Qwen3-0.6B.md"


def run(mode: Mode) -> PartResult:
    result = PartResult("execution")
    if shutil.which("bwrap") is None:
        result.figures.append(
            Figure(
                "execution",
                "seconds to execute a typical manual in the sandbox",
                "skipped: bwrap is missing (Debian package bubblewrap)",
            )
        )
        return result
    import nbformat
    from django.conf import settings

    from generation.pipeline.execution import execute_notebook

    nb = demo_manual()
    code_cells = sum(1 for cell in nb.cells if cell.cell_type == "code")
    repeats = mode.pick(2, 1)
    walls, kernel_starts, errors = [], [], 0
    for n in range(repeats):
        started = time.perf_counter()
        outcome = execute_notebook(
            nbformat.from_dict(nb),
            cell_timeout=settings.ALAIN["EXEC_CELL_TIMEOUT"],
            total_timeout=settings.ALAIN["EXEC_TOTAL_TIMEOUT"],
        )
        walls.append(time.perf_counter() - started)
        kernel_starts.append(outcome.kernel_start_seconds or 0.0)
        errors += 0 if outcome.executed else 1
        errors += sum(1 for f in outcome.findings if f.severity == "error")
        log(f"execution: run {n + 1}/{repeats} in {walls[-1]:.1f} s (executed: {outcome.executed})")
    result.figures.append(
        Figure(
            "execution",
            f"seconds to execute a typical manual in bwrap ({code_cells} code cells, kernel start "
            f"included, median of {repeats})",
            f"{median(walls):.1f} s, of which kernel start {median(kernel_starts):.1f} s",
            goal="runs, no execution error",
            met=errors == 0,
            timed=False,
        )
    )
    return result


def demo_manual():
    """The demo teacher's manual for the bundled card, generated in this process (execution off)."""
    import nbformat

    from generation.models import RunStatus
    from generation.pipeline.runner import execute_run
    from generation.services import RunOptions, run_create
    from generation.sources import source_from_file

    source, subject = source_from_file(SAMPLE_CARD)
    run = run_create(
        source=source, options=RunOptions(provider="demo", teacher_model="alain-demo", execute=False), subject=subject
    )
    run = execute_run(run.pk)
    if run.status != RunStatus.SUCCEEDED:
        raise RuntimeError(f"the demo manual failed: {run.error_message}")
    version = run.versions.order_by("-number").first()
    return nbformat.reads(version.ipynb, as_version=4)
