"""Stage 2: the outline's plan (title, objectives, steps), one strict-JSON teacher call.

The closing parts of the outline (exercises, assessment, summary...) are written by the
wrap-up call, concurrently with the sections (see `wrapup.py`), to keep this call, which
every section waits for, short.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from generation.pipeline.research.condense import card_headings
from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.structured import BASE_SEED, CallRecord, StructuredResult, request_structured
from prompts import limits
from prompts.audience import DIFFICULTY_GUIDANCE, language_name
from prompts.content_rules import is_setup_step
from prompts.loader import PromptTemplate, load_prompt
from prompts.specs import PlanSpec, plan_schema, title_key
from providers.base import Teacher

PROMPT_NAME = "outline"


def research_brief(research: ResearchSnapshot) -> str:
    """The metadata part of the research snapshot, as compact JSON for a prompt."""
    brief: dict[str, Any] = {
        "model": research.subject,
        "author": research.author,
        "task": research.pipeline_tag,
        "library": research.library_name,
        "license": research.license,
        "languages": research.languages[:10],
        "base_models": research.base_models[:5],
        "parameters": research.parameters,
        "gated": research.gated,
        "card_quality": {"score": research.quality.score, "thin": research.quality.thin},
    }
    return json.dumps({k: v for k, v in brief.items() if v not in ("", [], None)}, ensure_ascii=False)


def render_outline_prompt(
    *, prompt: PromptTemplate, research: ResearchSnapshot, difficulty: str, language: str, max_sections: int
) -> list[dict[str, str]]:
    return prompt.render(
        subject=research.subject,
        difficulty=difficulty,
        difficulty_guidance=DIFFICULTY_GUIDANCE[difficulty],
        language_name=language_name(language),
        language_code=language,
        objectives_range=f"{limits.OBJECTIVES_MIN}-{limits.OBJECTIVES_MAX}",
        steps_min=str(limits.STEPS_MIN),
        max_steps=str(max_sections),
        reading_min=str(limits.READING_TIME_MIN_MINUTES),
        reading_max=str(limits.READING_TIME_MAX_MINUTES),
        research=research_brief(research),
        card_text=research.card_text or "(no card text)",
    )


def salvage_plan(data: dict[str, Any], headings: Sequence[str] = ()) -> tuple[dict[str, Any], str] | None:
    """Drop planned steps about installing or setting up, when enough real steps remain; steps
    that copy a card heading go too, if that still leaves enough.

    The setup cell already installs and connects everything; small teachers still open most
    plans with "Install the libraries", or turn the card's headings into steps. A heading as a
    step is weak but not wrong (a 0.5B teacher planned nothing else in four attempts), so it
    is only dropped from a plan that is being salvaged anyway.
    """
    steps = data.get("steps")
    if not isinstance(steps, list):
        return None
    copied = {title_key(h) for h in headings}

    def title(step: Any) -> str:
        return str(step.get("title", "")) if isinstance(step, dict) else ""

    kept = [s for s in steps if not is_setup_step(title(s))]
    if len(kept) == len(steps) or len(kept) < limits.STEPS_MIN:
        return None
    without_headings = [s for s in kept if title_key(title(s)) not in copied]
    if len(without_headings) >= limits.STEPS_MIN:
        kept = without_headings
    dropped = [title(s) for s in steps if s not in kept]
    return {**data, "steps": kept}, f"dropping the step(s) {dropped} (setup, reading or a copied card heading)"


def generate_outline(
    *,
    teacher: Teacher,
    research: ResearchSnapshot,
    difficulty: str,
    language: str,
    max_sections: int,
    max_attempts: int,
    seed_base: int = BASE_SEED,
    prompt_version: int | None = None,
    on_call: Callable[[CallRecord], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> tuple[StructuredResult, PromptTemplate]:
    """Ask the teacher for the plan; raises StructuredCallFailed when none is valid."""
    prompt = load_prompt(PROMPT_NAME, prompt_version)
    headings = card_headings(research.card_text)
    messages = render_outline_prompt(
        prompt=prompt, research=research, difficulty=difficulty, language=language, max_sections=max_sections
    )
    result = request_structured(
        teacher=teacher,
        spec=PlanSpec,
        validation_context={"max_steps": max_sections},
        schema=plan_schema(max_sections),
        messages=messages,
        stage="outline",
        max_tokens=limits.OUTLINE_MAX_TOKENS,
        max_attempts=max_attempts,
        seed_base=seed_base,
        context={
            "research": research.model_dump(mode="json"),
            "difficulty": difficulty,
            "language": language,
            "max_sections": max_sections,
        },
        schema_name="outline",
        on_call=on_call,
        check_cancelled=check_cancelled,
        salvage=partial(salvage_plan, headings=headings),
    )
    return result, prompt
