"""`/api/reports/funnel` and `/api/reports/diversity`: the product reports over a window.

Counted over the runs the caller may see (every run for an admin), created in the window
`since` (7d, 30d, 12h, 2w...; at most 366 days) that ends now. The definitions are those of
`alain_site.observability.reports`, shared with the portal's /reports/ page and
`manage.py alain report`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from alain_site.accounts.roles import visible_runs
from alain_site.api.errors import ApiError, responses
from alain_site.observability import reports
from alain_site.observability.reports import InvalidWindow, Window

router = Router(tags=["reports"])


class WindowIn(Schema):
    since: str = Field(
        reports.DEFAULT_WINDOW,
        max_length=20,
        pattern=r"^\s*\d{1,4}\s*[hdwHDW]\s*$",
        description="How far back runs were created: a number and h, d or w (7d, 30d, 90d); at most 366d.",
    )


class FailureReasonOut(Schema):
    stage: str = Field(description="Where the runs stopped: the stage that failed, or `review`.")
    kind: str = Field(description="source, teacher, validation, internal, cancelled, review...")
    reason: str = Field(description="The error message's first sentence with numbers, ids and quoted values left out.")
    count: int


class FunnelStepOut(Schema):
    key: str = Field(description="submitted, outline_ok, sections_ok, validation_pass, approved or exported.")
    label: str
    count: int
    conversion_from_previous: float | None = Field(description="count / the previous step's count (0 to 1).")
    conversion_from_submitted: float | None = Field(description="count / submitted runs (0 to 1).")
    median_ms_from_submitted: int | None = Field(description="Median time from the run's creation to this step.")
    median_ms_from_previous: int | None = Field(description="Median time from the previous step to this one.")
    stopped: int = Field(description="Runs that reached this step and not the next.")
    failed: int
    cancelled: int
    active: int = Field(description="Stopped runs still queued or running.")
    waiting: int = Field(description="Stopped runs that succeeded and wait for a person (review, export).")
    top_failures: list[FailureReasonOut]


class FunnelOut(Schema):
    provider: str | None = Field(description="null: every provider.")
    teacher_model: str | None = Field(description="null: every teacher model.")
    steps: list[FunnelStepOut]


class FunnelReportOut(Schema):
    window: str
    since: datetime
    until: datetime
    overall: FunnelOut
    by_provider: list[FunnelOut]
    by_teacher: list[FunnelOut] = Field(description="One funnel per (provider, teacher model).")


class NamespaceBucketOut(Schema):
    key: str = Field(description="top, outside or unknown (text and file sources).")
    label: str
    runs: int
    share_of_runs: float | None
    succeeded: int
    share_of_succeeded: float | None
    passed: int
    pass_rate: float | None = Field(description="Runs with a passing validated version / runs.")
    exported: int
    export_rate: float | None = Field(description="Exported runs / runs.")


class NamespaceCountOut(Schema):
    namespace: str
    bucket: str
    runs: int
    passed: int
    exported: int


class DiversityReportOut(Schema):
    window: str
    since: datetime
    until: datetime
    top_namespaces: list[str]
    runs: int
    succeeded: int
    outside_share_of_runs: float | None
    outside_share_of_succeeded: float | None
    buckets: list[NamespaceBucketOut]
    namespaces: list[NamespaceCountOut]


def _window(query: WindowIn) -> Window:
    try:
        return reports.parse_window(query.since)
    except InvalidWindow as exc:
        raise ApiError(400, "invalid_window", str(exc)) from exc


@router.get("/funnel", response=responses({200: FunnelReportOut}, 400, 422), url_name="reports_funnel")
def funnel(request: HttpRequest, query: Query[WindowIn]) -> dict[str, Any]:
    """Submitted -> outline ok -> sections ok -> validation pass -> approved -> exported: counts,
    conversions, median durations and top failure reasons, overall, per provider and per teacher model."""
    window = _window(query)
    report = reports.funnel_report(since=window.since, until=window.until, runs=visible_runs(request.user))
    return {"window": window.label, **report.as_dict()}


@router.get("/diversity", response=responses({200: DiversityReportOut}, 400, 422), url_name="reports_diversity")
def diversity(request: HttpRequest, query: Query[WindowIn]) -> dict[str, Any]:
    """Share of manuals about models outside the top providers (by Hugging Face namespace), with pass
    and export rates next to those of the top providers."""
    window = _window(query)
    report = reports.diversity_report(since=window.since, until=window.until, runs=visible_runs(request.user))
    return {"window": window.label, **report.as_dict()}
