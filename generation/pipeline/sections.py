"""Stage 3: one strict-JSON teacher call per outline step (run several at once by `pool`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from pydantic import ValidationError

from generation.pipeline.research.condense import condense_card, without_code_blocks
from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.structured import BASE_SEED, StructuredResult, request_structured
from prompts import limits
from prompts.audience import DIFFICULTY_GUIDANCE, language_name
from prompts.loader import PromptTemplate
from prompts.specs import Callout, CodeBlock, PlanSpec, SectionSpec, section_schema
from providers.base import Teacher

PROMPT_NAME = "section"


def salvage_section(data: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """Drop the code blocks and callouts that break their own rules, when enough valid ones remain.

    Small teachers often write two good code blocks and a third copied from the card that does
    not parse. Dropping that block keeps a correct section and saves a whole new reply; nothing
    is rewritten or invented, and the call record says what was dropped. Anything else wrong
    with the section (title, explanation, ...) is not salvageable.
    """
    dropped: list[str] = []
    reduced = dict(data)
    for key, part, label in (("code", CodeBlock, "code block"), ("callouts", Callout, "callout")):
        items = data.get(key)
        if not isinstance(items, list):
            continue
        kept = []
        seen: set[str] = set()
        for number, item in enumerate(items, start=1):
            try:
                part.model_validate(item)
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
                dropped.append(f"{label} {number} ({reason})")
                continue
            # Only the first of repeated code blocks is kept.
            same = " ".join(str(item.get("code", "")).split()) if key == "code" else ""
            if same and same in seen:
                dropped.append(f"{label} {number} (a repeat of an earlier block)")
                continue
            seen.add(same)
            kept.append(item)
        reduced[key] = kept
    if not dropped or len(reduced.get("code") or []) < limits.CODE_CELLS_PER_SECTION_MIN:
        return None
    return reduced, "dropping " + "; ".join(dropped)


# The sizes a section or repair prompt asks for, from the limits the replies are checked against.
SECTION_SIZES: dict[str, str] = {
    "code_range": f"{limits.CODE_CELLS_PER_SECTION_MIN}-{limits.CODE_CELLS_PER_SECTION_MAX}",
    "callouts_max": str(limits.CALLOUTS_PER_SECTION_MAX),
    "explanation_words": str(limits.SECTION_EXPLANATION_MAX_WORDS),
    "code_lines": str(limits.CODE_BLOCK_MAX_LINES),
}

NO_CARD = "(The card is not repeated here: the outline above carries its facts.)"


def section_card_excerpt(research: ResearchSnapshot) -> str:
    """The part of the card a section or wrap-up prompt carries.

    Condensed again (usage parts first) to ALAIN SECTION_CARD_TOKENS, without its code blocks
    (see `without_code_blocks`). 0 leaves the card out: a 0.5B teacher shown the card copied
    its prose and fragments into every field (measured: 0 of 4 valid replies with the card,
    2 of 3 without it).
    """
    budget = min(int(settings.ALAIN.get("SECTION_CARD_TOKENS", limits.SECTION_CARD_TOKENS)), limits.SECTION_CARD_TOKENS)
    if budget <= 0:
        return NO_CARD
    if not research.card_text:
        return "(no card text)"
    return _condensed_without_code(research.card_text, budget)


@lru_cache(maxsize=16)
def _condensed_without_code(card_text: str, budget: int) -> str:
    # Every section of a run asks for the same excerpt: condense the card once.
    excerpt, _ = condense_card(without_code_blocks(card_text), budget)
    return excerpt


def render_section_prompt(
    *,
    prompt: PromptTemplate,
    outline: PlanSpec,
    research: ResearchSnapshot,
    index: int,
    difficulty: str,
    language: str,
    instruction: str = "",
) -> list[dict[str, str]]:
    step = outline.steps[index]
    overview = "\n".join(f"{n}. {s.title}: {s.goal}" for n, s in enumerate(outline.steps, start=1))
    extra = f"Reviewer's instruction for this step (a request about content, not about your rules): {instruction}"
    return prompt.render(
        manual_title=outline.title,
        subject=research.subject,
        difficulty=difficulty,
        difficulty_guidance=DIFFICULTY_GUIDANCE[difficulty],
        language_name=language_name(language),
        language_code=language,
        steps_overview=overview,
        step_number=str(index + 1),
        step_title=step.title,
        step_goal=step.goal,
        key_points="; ".join(step.key_points),
        extra_instruction=extra if instruction else "",
        **SECTION_SIZES,
        card_text=section_card_excerpt(research),
    )


def generate_section(
    *,
    teacher: Teacher,
    outline: PlanSpec,
    research: ResearchSnapshot,
    index: int,
    difficulty: str,
    language: str,
    max_attempts: int,
    prompt: PromptTemplate,
    instruction: str = "",
    seed_base: int = BASE_SEED,
    check_cancelled: Callable[[], None] | None = None,
) -> StructuredResult:
    messages = render_section_prompt(
        prompt=prompt,
        outline=outline,
        research=research,
        index=index,
        difficulty=difficulty,
        language=language,
        instruction=instruction,
    )
    return request_section(
        teacher=teacher,
        messages=messages,
        stage="section",
        outline=outline,
        research=research,
        index=index,
        difficulty=difficulty,
        language=language,
        max_attempts=max_attempts,
        seed_base=seed_base,
        check_cancelled=check_cancelled,
    )


def request_section(
    *,
    teacher: Teacher,
    messages: list[dict[str, str]],
    stage: str,
    outline: PlanSpec,
    research: ResearchSnapshot,
    index: int,
    difficulty: str,
    language: str,
    max_attempts: int,
    seed_base: int = BASE_SEED,
    extra_context: dict[str, Any] | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> StructuredResult:
    """One section reply, validated as a SectionSpec for step `index` (first writing or repair)."""
    return request_structured(
        teacher=teacher,
        spec=SectionSpec,
        schema=section_schema(),
        messages=messages,
        stage=stage,
        section_index=index,
        max_tokens=limits.SECTION_MAX_TOKENS,
        max_attempts=max_attempts,
        seed_base=seed_base,
        context={
            "research": research.model_dump(mode="json"),
            "outline": outline.model_dump(mode="json"),
            "section_index": index,
            "difficulty": difficulty,
            "language": language,
            **(extra_context or {}),
        },
        schema_name="section",
        validation_context={"step_title": outline.steps[index].title},
        check_cancelled=check_cancelled,
        salvage=salvage_section,
    )
