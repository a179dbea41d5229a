"""The outline's closing parts: exercises, assessment, summary, next steps, troubleshooting.

Written from the plan alone, so it runs concurrently with the sections instead of lengthening
the outline call that every section waits for.
"""

from __future__ import annotations

from collections.abc import Callable

from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.sections import section_card_excerpt
from generation.pipeline.structured import BASE_SEED, StructuredResult, request_structured
from prompts import limits
from prompts.audience import language_name
from prompts.loader import PromptTemplate
from prompts.specs import PlanSpec, WrapUpSpec, wrapup_schema
from providers.base import Teacher

PROMPT_NAME = "wrapup"


def steps_overview(plan: PlanSpec) -> str:
    return "\n".join(f"{n}. {step.title}: {step.goal}" for n, step in enumerate(plan.steps, start=1))


def render_wrapup_prompt(
    *, prompt: PromptTemplate, plan: PlanSpec, research: ResearchSnapshot, difficulty: str, language: str
) -> list[dict[str, str]]:
    return prompt.render(
        manual_title=plan.title,
        subject=research.subject,
        difficulty=difficulty,
        language_name=language_name(language),
        language_code=language,
        steps_overview=steps_overview(plan),
        exercises_range=f"{limits.EXERCISES_MIN}-{limits.EXERCISES_MAX}",
        mcq_range=f"{limits.MCQ_MIN}-{limits.MCQ_MAX}",
        distractors_range=f"{limits.MCQ_OPTIONS_MIN - 1}-{limits.MCQ_OPTIONS_MAX - 1}",
        troubleshooting_range=f"{limits.TROUBLESHOOTING_MIN}-{limits.TROUBLESHOOTING_MAX}",
        card_text=section_card_excerpt(research),
    )


def generate_wrapup(
    *,
    teacher: Teacher,
    plan: PlanSpec,
    research: ResearchSnapshot,
    difficulty: str,
    language: str,
    max_attempts: int,
    prompt: PromptTemplate,
    max_sections: int,
    seed_base: int = BASE_SEED,
    check_cancelled: Callable[[], None] | None = None,
) -> StructuredResult:
    messages = render_wrapup_prompt(
        prompt=prompt, plan=plan, research=research, difficulty=difficulty, language=language
    )
    return request_structured(
        teacher=teacher,
        spec=WrapUpSpec,
        schema=wrapup_schema(),
        messages=messages,
        stage="wrapup",
        max_tokens=limits.WRAPUP_MAX_TOKENS,
        max_attempts=max_attempts,
        seed_base=seed_base,
        context={
            "research": research.model_dump(mode="json"),
            "outline": plan.model_dump(mode="json"),
            "difficulty": difficulty,
            "language": language,
            "max_sections": max_sections,
        },
        schema_name="wrapup",
        check_cancelled=check_cancelled,
    )
