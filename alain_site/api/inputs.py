"""API request bodies turned into the services' `RunSource` and `RunOptions`, with the portal's checks.

Every refusal is an `ApiError` 400 whose message says what to change.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.http import HttpRequest

from alain_site.accounts.roles import teams_of
from alain_site.api.errors import ApiError
from alain_site.api.schemas import HfSourceIn, OptionsIn, SourceIn, TextSourceIn
from generation.pipeline.errors import SourceError
from generation.pipeline.research import uploads
from generation.services import RunOptions, RunOptionsError, RunSource
from generation.sources import source_from_model_ref, source_from_text
from providers.base import Teacher
from providers.catalog import ProviderConfigError, get_teacher


def source_of(data: SourceIn) -> tuple[RunSource, str]:
    """The checked source and the subject it names."""
    try:
        if isinstance(data, HfSourceIn):
            return source_from_model_ref(data.ref.strip())
        if isinstance(data, TextSourceIn):
            return source_from_text(data.text)
        text = uploads.read_source_bytes(
            data.text.encode("utf-8"), data.name, max_bytes=settings.ALAIN["MAX_SOURCE_BYTES"]
        )
        name = data.name.replace("\\", "/").rsplit("/", 1)[-1]
        return RunSource(kind="file", ref=name, text=text), name.rsplit(".", 1)[0] or name
    except SourceError as exc:
        raise ApiError(400, "invalid_source", exc.message) from exc


def teacher_of(data: OptionsIn) -> Teacher:
    try:
        return get_teacher(data.provider, model=data.teacher_model)
    except ProviderConfigError as exc:
        raise ApiError(400, "invalid_teacher", str(exc)) from exc


def options_of(data: OptionsIn, teacher: Teacher) -> RunOptions:
    options = RunOptions(
        provider=teacher.key,
        teacher_model=teacher.model,
        base_url=teacher.base_url,
        difficulty=data.difficulty,
        language=data.language.strip(),
        research_mode=data.research_mode,
        max_sections=data.max_sections,
        execute=data.execute,
    )
    try:
        options.validate()
    except RunOptionsError as exc:
        raise ApiError(400, "invalid_options", f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from exc
    return options


def team_of(request: HttpRequest, data: OptionsIn) -> Group | None:
    if not data.team:
        return None
    team = teams_of(request.user).filter(name=data.team).first()
    if team is None:
        names = ", ".join(teams_of(request.user).values_list("name", flat=True)) or "none"
        raise ApiError(400, "invalid_team", f"You are not in a team named {data.team!r}; your teams: {names}.")
    return team


def canonical(payload: Any) -> dict[str, Any]:
    """The request as a plain dict, the same for the same request whatever its key order."""
    return payload.model_dump(mode="json")
