"""System checks: ALAIN refuses to start with missing prompts, stale schemas or contradictory limits."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from prompts import limits
from prompts.loader import PromptNotFound, load_prompt
from prompts.schema_files import stale_schema_files

REQUIRED_PROMPTS = ("outline", "section", "wrapup", "section_repair")


@register()
def check_prompts(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for name in REQUIRED_PROMPTS:
        try:
            load_prompt(name)
        except (PromptNotFound, ValueError) as exc:
            errors.append(Error(f"Prompt {name!r} cannot be loaded: {exc}", id="alain.E001"))
    for name in stale_schema_files():
        errors.append(
            Error(
                f"prompts/schemas/{name} is missing or differs from prompts/specs.py",
                hint="Run `python manage.py alain_schemas`.",
                id="alain.E002",
            )
        )
    for problem in limits.check_budget():
        errors.append(Error(f"Contradictory limits in prompts/limits.py: {problem}", id="alain.E003"))
    return errors
