"""Filters of the reports page: shares as percentages, medians as durations, bar lengths."""

from __future__ import annotations

from django import template

from alain_site.observability.report_text import format_duration, format_share

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    return format_share(share)


@register.filter
def duration(ms: int | None) -> str:
    return format_duration(ms)


@register.filter
def bar_length(share: float | None) -> str:
    """An SVG length out of 100 for a share; a non-zero share stays visible (at least 0.5)."""
    if not share:
        return "0"
    return f"{max(0.5, min(1.0, share) * 100):.1f}"
