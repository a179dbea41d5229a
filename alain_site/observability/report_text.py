"""The reports as people read them: shares as percentages, medians as durations, text tables.

Used by the portal's template filters (`report_format`) and by `manage.py alain report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC

from alain_site.observability.reports import FUNNEL_STEPS, STEP_LABELS, FullReport


def format_share(share: float | None) -> str:
    """0.4567 -> "45.7%"; None (nothing to divide by) -> "—"."""
    return "—" if share is None else f"{share * 100:.1f}%"


def format_duration(ms: int | None) -> str:
    """A median duration the way a person reads it: "850 ms", "12.5 s", "3 min 5 s", "2 h 10 min"."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    rows = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    # The first column is text (left-aligned); the others are numbers (right-aligned).
    return [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def render_text(report: FullReport) -> str:
    """Both reports as plain-text tables (the command line without --json)."""
    funnel, diversity = report.funnel, report.diversity
    lines = [
        f"Runs created in {report.window.description} "
        f"({funnel.since.astimezone(UTC):%Y-%m-%d %H:%M} to {funnel.until.astimezone(UTC):%Y-%m-%d %H:%M} UTC): "
        f"{funnel.overall.submitted}",
        "",
        "Funnel, all runs",
    ]
    lines += _table(
        ("step", "runs", "of previous", "of submitted", "median from submission", "median from previous", "stopped"),
        (
            (
                step.label,
                str(step.count),
                format_share(step.conversion_from_previous),
                format_share(step.conversion_from_submitted),
                format_duration(step.median_ms_from_submitted),
                format_duration(step.median_ms_from_previous),
                str(step.stopped) if index < len(FUNNEL_STEPS) - 1 else "—",
            )
            for index, step in enumerate(funnel.overall.steps)
        ),
    )
    lines += ["", "Top failure reasons"]
    if not funnel.overall.steps_with_failures:
        lines.append("  none: no run failed, was cancelled or was refused in review")
    for step in funnel.overall.steps_with_failures:
        lines.append(f"  stopped after {step.label}:")
        lines += [f"    {f.count:>4}  {f.stage or '—'}/{f.kind}  {f.reason}" for f in step.top_failures]
    lines += ["", "Funnel by provider and teacher model (runs at each step)"]
    lines += _table(
        ("provider / model", *(STEP_LABELS[key].lower() for key in FUNNEL_STEPS)),
        (
            (f"{group.provider} / {group.teacher_model}", *(str(s.count) for s in group.steps))
            for group in funnel.by_teacher
        ),
    )
    lines += [
        "",
        f"Diversity: {format_share(diversity.outside_share_of_runs)} of runs and "
        f"{format_share(diversity.outside_share_of_succeeded)} of succeeded runs are about models outside the top "
        f"providers ({', '.join(diversity.top_namespaces)})",
    ]
    lines += _table(
        ("namespace", "runs", "share", "succeeded", "share of succeeded", "pass rate", "export rate"),
        (
            (
                bucket.key,
                str(bucket.runs),
                format_share(bucket.share_of_runs),
                str(bucket.succeeded),
                format_share(bucket.share_of_succeeded),
                format_share(bucket.pass_rate),
                format_share(bucket.export_rate),
            )
            for bucket in diversity.buckets
        ),
    )
    return "\n".join(lines)
