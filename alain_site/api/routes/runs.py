"""`/api/runs`: list and read runs, cancel, retry, regenerate a section, fetch artifacts.

A run is named by its tutorial id or public id. A run the caller may not see answers 404, as
if it did not exist.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema

from alain_site.accounts.roles import teams_of, visible_runs
from alain_site.api.auth import require_author
from alain_site.api.errors import ApiError, responses
from alain_site.api.pagination import PageIn, page_of
from alain_site.api.presenters import run_detail, run_summary, with_latest_version
from alain_site.api.schemas import RunDetailOut, RunOut
from generation import queueing, services
from generation.models import Artifact
from generation.retention import purged_message
from generation.services import InvalidTransition, RunOptionsError
from generation.views.access import visible_run_or_404

router = Router(tags=["runs"])

ARTIFACT_TYPES = {
    "notebook": "application/x-ipynb+json",
    "validation": "text/markdown; charset=utf-8",
    "metrics": "application/json",
    "manifest": "application/json",
    "research": "application/json",
    "outline": "application/json",
    "section": "application/json",
}


class RunFilters(Schema):
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None
    q: str | None = Field(None, max_length=200, description="Part of the model name or tutorial id.")
    scope: Literal["visible", "mine", "team"] = Field("visible", description="All runs you see, yours, or your teams'.")


class RunPage(Schema):
    items: list[RunOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


@router.get("", response=responses({200: RunPage}, 422), url_name="runs")
def list_runs(request: HttpRequest, filters: Query[RunFilters], paging: Query[PageIn]) -> dict[str, Any]:
    """Runs you may see, newest first, a page at a time."""
    # The pasted or uploaded card (up to 1 MB a run) is not part of a summary.
    runs = visible_runs(request.user).select_related("team", "created_by").defer("source_text")
    if filters.scope == "mine":
        runs = runs.filter(created_by=request.user)
    elif filters.scope == "team":
        runs = runs.filter(team__in=teams_of(request.user))
    if filters.status:
        runs = runs.filter(status=filters.status)
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        runs = runs.filter(Q(subject_model__icontains=text) | Q(tutorial_id__icontains=text))
    return page_of(request, with_latest_version(runs.order_by("-created_at", "-id")), paging, run_summary)


@router.get("/{ref}", response=responses({200: RunDetailOut}, 404), url_name="run")
def get_run(request: HttpRequest, ref: str) -> dict[str, Any]:
    """Status, stage, per-stage timings, teacher calls, findings, sections, artifacts and recent events."""
    return run_detail(visible_run_or_404(request.user, ref))


@router.post("/{ref}/cancel", response=responses({200: RunOut}, 403, 404, 409), url_name="run_cancel")
def cancel_run(request: HttpRequest, ref: str) -> dict[str, Any]:
    """Cancel a queued or running run; a worker running it stops at its next check."""
    run = visible_run_or_404(request.user, ref)
    require_author(request)
    try:
        services.run_cancel(run=run, reason=f"by {request.user.get_username()} over the API")
    except InvalidTransition as exc:
        raise ApiError(409, "invalid_transition", f"{exc}.") from exc
    return run_summary(run)


@router.post("/{ref}/retry", response=responses({202: RunOut}, 403, 404, 409), url_name="run_retry")
def retry_run(request: HttpRequest, ref: str) -> tuple[int, dict[str, Any]]:
    """Queue a failed or cancelled run again; it resumes at its first unfinished stage."""
    run = visible_run_or_404(request.user, ref)
    require_author(request)
    try:
        queueing.retry_run(run, reason=f"Retried by {request.user.get_username()} over the API.")
    except InvalidTransition as exc:
        raise ApiError(409, "invalid_transition", f"{exc}.") from exc
    return 202, run_summary(run)


class RegenerateIn(Schema):
    instruction: str = Field("", max_length=1000, description="What to change in this section.")


@router.post(
    "/{ref}/sections/{n}/regenerate",
    response=responses({202: RunOut}, 400, 403, 404, 409, 413, 422),
    url_name="run_regenerate_section",
)
def regenerate_section(
    request: HttpRequest,
    ref: str,
    n: int = Path(..., ge=1, description='The step number, from 1, as in "Step n:".'),
    payload: RegenerateIn | None = None,
) -> tuple[int, dict[str, Any]]:
    """Write step `n` (1-based, as in "Step n:") again; the notebook is rebuilt as a new version."""
    run = visible_run_or_404(request.user, ref)
    require_author(request)
    if n < 1:
        raise ApiError(400, "invalid_step", f"Steps are numbered from 1; there is no step {n}.")
    try:
        run = queueing.regenerate_section(run, index=n - 1, instruction=payload.instruction if payload else "")
    except InvalidTransition as exc:
        raise ApiError(409, "invalid_transition", f"{exc}.") from exc
    except RunOptionsError as exc:
        raise ApiError(400, "invalid_step", f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from exc
    return 202, run_summary(run)


@router.get(
    "/{ref}/artifacts/{kind}",
    response=responses({200: None}, 400, 404, 410, 422),
    url_name="run_artifact",
    openapi_extra={
        "responses": {
            200: {
                "description": "The artifact's bytes.",
                "content": {content_type.split(";")[0]: {} for content_type in set(ARTIFACT_TYPES.values())},
            }
        }
    },
)
def get_artifact(
    request: HttpRequest,
    ref: str,
    kind: Literal["notebook", "validation", "metrics", "manifest", "research", "outline", "section"],
    version: int | None = Query(None, ge=1, description="Version number; the latest published if absent."),
    step: int | None = Query(None, ge=1, description="Step number, for kind=section."),
) -> HttpResponse:
    """One published artifact of a run's version, as stored (notebook.ipynb, validation.md, ...).

    410 Gone: the retention policy deleted the file of this (unapproved, superseded) version.
    """
    run = visible_run_or_404(request.user, ref)
    artifacts = Artifact.objects.filter(run=run, kind=kind).select_related("version")
    if version is not None:
        artifacts = artifacts.filter(version__number=version)
    if kind == Artifact.Kind.SECTION:
        if step is None:
            raise ApiError(400, "step_required", "A section artifact is named by its step: add ?step=N (1-based).")
        artifacts = artifacts.filter(name=f"sections/{step:02d}.json")
    artifact = artifacts.order_by("-version__number", "-id").first()
    if artifact is None:
        raise ApiError(404, "not_found", f"Run {run.tutorial_id} has no published {kind} artifact of that version.")
    if artifact.purged_at is not None:
        raise ApiError(410, "purged", purged_message(artifact))
    try:
        handle = default_storage.open(artifact.path, "rb")
    except FileNotFoundError as exc:
        raise ApiError(404, "not_found", f"The {kind} artifact's file is missing from storage.") from exc
    response = FileResponse(handle, content_type=ARTIFACT_TYPES[kind])
    response["Content-Disposition"] = f'inline; filename="{artifact.name.rsplit("/", 1)[-1]}"'
    response["ETag"] = f'"{artifact.sha256}"'
    return response
