"""`/api/generate/...`: an outline or a section at once, or a whole manual queued."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Field, Header, Router, Schema
from pydantic import ValidationError as PydanticValidationError

from alain_site.api.auth import require_author
from alain_site.api.errors import ApiError, responses
from alain_site.api.inputs import canonical, options_of, source_of, teacher_of, team_of
from alain_site.api.presenters import queued
from alain_site.api.schemas import GenerateIn, OptionsIn, QueuedOut
from generation import direct
from generation.idempotency import MAX_KEY_LENGTH, IdempotencyKeyReused, queue_once
from generation.pipeline.errors import SourceError, SourceUnavailable
from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.structured import StructuredCallFailed
from generation.queueing import queue_new_run
from prompts.specs import PlanSpec
from providers.governor import ProviderUnavailable

router = Router(tags=["generate"])


class OutlineOut(Schema):
    outline: dict[str, Any] = Field(..., description="The validated plan (steps with titles and goals).")
    research: dict[str, Any] = Field(..., description="The Research Scout's snapshot; send it to /generate/section.")
    research_summary: dict[str, Any]
    prompt_version: str
    teacher: dict[str, str]
    teacher_calls: dict[str, Any]


class GenerateSectionIn(Schema):
    outline: dict[str, Any] = Field(..., description="An outline returned by /generate/outline.")
    research: dict[str, Any] = Field(..., description="The research returned with that outline.")
    index: int = Field(..., ge=0, description="0-based index of the step in outline.steps.")
    instruction: str = Field("", max_length=1000, description="What to change or stress in this section.")
    options: OptionsIn = Field(default_factory=OptionsIn)


class GeneratedSectionOut(Schema):
    section: dict[str, Any]
    index: int
    prompt_version: str
    teacher: dict[str, str]
    teacher_calls: dict[str, Any]


def _problems(where: str, exc: PydanticValidationError, shown: int = 5) -> str:
    """The first few validation errors as `where.field: what`, without echoing the input."""
    errors = exc.errors(include_input=False, include_url=False)
    parts = [".".join([where, *(str(part) for part in error["loc"])]) + f": {error['msg']}" for error in errors]
    more = f" (and {len(parts) - shown} more)" if len(parts) > shown else ""
    return "; ".join(parts[:shown]) + more


def _teacher_failure(exc: Exception) -> ApiError:
    if isinstance(exc, ProviderUnavailable):
        # Retry-After is whole seconds; rounding a hint down would invite a retry that is too early.
        retry = max(1, math.ceil(exc.retry_after or 30))
        return ApiError(503, "provider_unavailable", str(exc), headers={"Retry-After": str(retry)})
    return ApiError(502, "teacher_failed", str(exc))


def _research_summary(research: ResearchSnapshot) -> dict[str, Any]:
    return {
        "subject": research.subject,
        "repo_id": research.repo_id,
        "revision_sha": research.revision_sha,
        "license": research.license,
        "pipeline_tag": research.pipeline_tag,
        "quality_score": research.quality.score,
        "thin_card": research.quality.thin,
        "notes": list(research.notes),
    }


@router.post(
    "/outline", response=responses({200: OutlineOut}, 400, 403, 413, 422, 502, 503), url_name="generate_outline"
)
def generate_outline(request: HttpRequest, payload: GenerateIn) -> dict[str, Any]:
    """Research the source and return a validated outline now (one or more teacher calls)."""
    require_author(request)
    source, _ = source_of(payload.source)
    teacher = teacher_of(payload.options)
    options = options_of(payload.options, teacher)
    try:
        research = direct.research_source(source, options, teacher=teacher)
        result = direct.outline_for_source(research, options, teacher=teacher)
    except SourceUnavailable as exc:
        raise ApiError(503, "source_unavailable", exc.message, headers={"Retry-After": "60"}) from exc
    except SourceError as exc:
        raise ApiError(400, "invalid_source", exc.message) from exc
    except (StructuredCallFailed, ProviderUnavailable) as exc:
        raise _teacher_failure(exc) from exc
    return {
        "outline": result.value,
        "research": research.model_dump(mode="json"),
        "research_summary": _research_summary(research),
        "prompt_version": result.prompt_version,
        "teacher": {"provider": teacher.key, "model": teacher.model},
        "teacher_calls": result.call_summary,
    }


@router.post(
    "/section",
    response=responses({200: GeneratedSectionOut}, 400, 403, 413, 422, 502, 503),
    url_name="generate_section",
)
def generate_section(request: HttpRequest, payload: GenerateSectionIn) -> dict[str, Any]:
    """Write one step of an outline now and return the validated section."""
    require_author(request)
    problems = []
    try:
        plan = PlanSpec.model_validate(payload.outline)
    except PydanticValidationError as exc:
        problems.append(_problems("outline", exc))
    try:
        research = ResearchSnapshot.model_validate(payload.research)
    except PydanticValidationError as exc:
        problems.append(_problems("research", exc))
    if problems:
        raise ApiError(
            400,
            "invalid_outline",
            f"The outline or research is not one /generate/outline returns: {'; '.join(problems)}.",
        )
    teacher = teacher_of(payload.options)
    options = options_of(payload.options, teacher)
    if payload.index >= len(plan.steps):
        raise ApiError(
            400, "invalid_index", f"The outline has {len(plan.steps)} steps (indexes 0 to {len(plan.steps) - 1})."
        )
    try:
        result = direct.section_for_outline(
            plan=plan,
            research=research,
            index=payload.index,
            options=options,
            teacher=teacher,
            instruction=payload.instruction,
        )
    except (StructuredCallFailed, ProviderUnavailable) as exc:
        raise _teacher_failure(exc) from exc
    return {
        "section": result.value,
        "index": payload.index,
        "prompt_version": result.prompt_version,
        "teacher": {"provider": teacher.key, "model": teacher.model},
        "teacher_calls": result.call_summary,
    }


@router.post("/notebook", response=responses({202: QueuedOut}, 400, 403, 413, 422), url_name="generate_notebook")
def generate_notebook(
    request: HttpRequest,
    response: HttpResponse,
    payload: GenerateIn = Body(...),
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=MAX_KEY_LENGTH, description="Repeat-safe key; same key, same run."
    ),
) -> tuple[int, dict[str, Any]]:
    """Queue a whole manual; answer 202 with the run's id and status URL (poll GET /runs/{id})."""
    require_author(request)
    source, subject = source_of(payload.source)
    teacher = teacher_of(payload.options)
    options = options_of(payload.options, teacher)
    team = team_of(request, payload.options)

    def create():
        return queue_new_run(source=source, options=options, subject=subject, created_by=request.user, team=team)

    if idempotency_key is None:
        run = create()
    else:
        try:
            run, replayed = queue_once(
                user=request.user, key=idempotency_key, payload=canonical(payload), create=create
            )
        except IdempotencyKeyReused as exc:
            raise ApiError(422, "idempotency_key_reused", str(exc)) from exc
        except ValueError as exc:
            message = str(exc)
            raise ApiError(400, "invalid_idempotency_key", f"{message[:1].upper()}{message[1:]}.") from exc
        if replayed:
            response["Idempotent-Replayed"] = "true"
    response["Location"] = queued(run)["status_url"]
    return 202, queued(run)
