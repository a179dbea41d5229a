"""Human and machine reports of a run: `validation.md` and `metrics.json`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import nbformat

from generation.models import NotebookVersion, ResearchRecord, Run, TeacherCall
from generation.pipeline.assembly import notebook_from_text
from generation.pipeline.validators.secrets import find_secrets, mask

_SEVERITY_WORD = {"error": "Error", "warning": "Warning", "info": "Note"}


def call_metrics(calls: list[TeacherCall]) -> dict[str, Any]:
    """Counts behind JSON compliance and cost, for one group of teacher calls."""
    total = len(calls)
    requests = {(c.stage, c.section_index) for c in calls}
    succeeded = {(c.stage, c.section_index) for c in calls if c.schema_valid}
    # First pass: the first reply was valid as sent (not repaired, nothing dropped by salvage).
    first_pass = sum(1 for c in calls if c.attempt == 1 and c.outcome == "ok" and not c.json_repaired)
    http_attempts = sum(len(c.http_attempts) for c in calls)
    return {
        "calls": total,
        "requests": len(requests),
        "requests_succeeded": len(succeeded),
        "json_first_pass": first_pass,
        "json_first_pass_rate": round(first_pass / len(requests), 3) if requests else None,
        "json_final_rate": round(len(succeeded) / len(requests), 3) if requests else None,
        "repaired": sum(1 for c in calls if c.json_repaired),
        "salvaged": sum(1 for c in calls if c.outcome == "salvaged"),
        "schema_invalid": sum(1 for c in calls if c.outcome == "schema_invalid"),
        "invalid_json": sum(1 for c in calls if c.outcome == "invalid_json"),
        "truncated": sum(1 for c in calls if c.outcome == "truncated"),
        "provider_errors": sum(1 for c in calls if c.outcome == "provider_error"),
        "http_attempts": http_attempts,
        "http_retries": max(0, http_attempts - total),
        "prompt_tokens": sum(c.prompt_tokens or 0 for c in calls),
        "completion_tokens": sum(c.completion_tokens or 0 for c in calls),
        "latency_ms": sum(c.latency_ms for c in calls),
    }


def metrics_for(run: Run, version: NotebookVersion, *, research: ResearchRecord | None = None) -> dict[str, Any]:
    """metrics.json; `research` is the run's research record when the caller has read it already."""
    # Without the prompts and replies: the bulk of the rows, and not counted here.
    calls = list(run.teacher_calls.defer("request_messages", "response_text"))
    by_stage: dict[str, list[TeacherCall]] = defaultdict(list)
    for call in calls:
        by_stage[call.stage].append(call)
    summary = version.validation_summary or {}
    if research is None:
        research = getattr(run, "research", None)
    return {
        "tutorial_id": run.tutorial_id,
        "version": version.number,
        "teacher": {"provider": run.teacher_provider, "model": run.teacher_model, "demo": run.is_demo},
        "stage_timings_ms": run.stage_timings,
        "teacher_calls": call_metrics(calls),
        "teacher_calls_by_stage": {stage: call_metrics(group) for stage, group in sorted(by_stage.items())},
        "validation": {
            "passed": version.passed,
            "score": version.quality_score,
            "counts": summary.get("counts", {}),
            "validator_durations_ms": summary.get("durations_ms", {}),
            "executed": bool(summary.get("executed", False)),
        },
        "research": {
            "card_quality": research.quality_score if research else None,
            "thin_card": research.thin_card if research else None,
            "revision": research.revision_sha if research else "",
        },
    }


def _cell_label(nb: nbformat.NotebookNode, index: int | None) -> str:
    if index is None or not 0 <= index < len(nb.cells):
        return "Whole notebook"
    cell = nb.cells[index]
    first_line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")[:70]
    # The label must not repeat a secret that the secrets finding right below it masks.
    for match in reversed(find_secrets(first_line)):
        first_line = first_line[: match.start] + mask(match.value) + first_line[match.end :]
    return f"Cell {index} ({cell.cell_type}): {first_line}"


def validation_markdown(run: Run, version: NotebookVersion) -> str:
    """validation.md of a stored notebook version."""
    teacher = f"Teacher: {run.teacher_provider} / {run.teacher_model}" + (" (demo content)" if run.is_demo else "")
    return render_validation_markdown(
        title=f"{run.tutorial_id} v{version.number}",
        nb=notebook_from_text(version.ipynb),
        findings=list(version.findings.all()),
        summary=version.validation_summary or {},
        passed=bool(version.passed),
        score=version.quality_score,
        preamble=[teacher],
    )


def render_validation_markdown(
    *,
    title: str,
    nb: nbformat.NotebookNode,
    findings: Sequence[Any],
    summary: dict[str, Any],
    passed: bool,
    score: int | None,
    preamble: Sequence[str] = (),
) -> str:
    """The verdict, the checks run, then every finding grouped by cell, in plain words.

    `findings` are `Finding` rows or `FindingData`: anything with validator, code, severity,
    cell_index, message and fixable.
    """
    counts = summary.get("counts", {})
    verdict = "PASSED" if passed else "FAILED"
    lines = [
        f"# Validation of {title}",
        "",
        f"**{verdict}**: {counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s), "
        f"{counts.get('info', 0)} note(s). Quality score {score}/100.",
        "",
    ]
    for line in preamble:
        lines += [line, ""]
    lines += ["## Checks run", ""]
    for name, ms in sorted(summary.get("durations_ms", {}).items()):
        lines.append(f"- {name}: {ms:.1f} ms")
    if not summary.get("executed"):
        lines.append("- execution: not run (the notebook was not executed)")
    lines += ["", "## Findings", ""]
    if not findings:
        lines.append("No findings.")
    by_cell: dict[int | None, list[Any]] = defaultdict(list)
    for finding in findings:
        by_cell[finding.cell_index].append(finding)
    for index in sorted(by_cell, key=lambda i: -1 if i is None else i):
        lines += [f"### {_cell_label(nb, index)}", ""]
        for finding in by_cell[index]:
            fix = " (can be fixed automatically)" if finding.fixable else ""
            word = _SEVERITY_WORD.get(finding.severity, finding.severity)
            lines.append(f"- {word} [{finding.validator}/{finding.code}]: {finding.message}{fix}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
