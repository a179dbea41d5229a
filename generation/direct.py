"""Single pipeline steps answered at once, without a run: the API's synchronous routes.

`outline_for_source` researches a source and asks the teacher for the plan;
`section_for_outline` writes one step of a plan. Each teacher call goes through the provider's
governor like a run's, so a burst of API requests cannot exceed the provider's caps. Nothing is
stored: the caller gets the validated JSON and a summary of the calls it took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from generation.pipeline.outline import generate_outline
from generation.pipeline.pool import governor_for, run_concurrently
from generation.pipeline.research import scout
from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.sections import generate_section
from generation.pipeline.stages import research_excerpt_budget
from generation.pipeline.structured import CallRecord, StructuredResult
from generation.reports import call_metrics
from generation.services import RunOptions, RunOptionsError, RunSource
from prompts.loader import load_prompt
from prompts.specs import PlanSpec
from providers.base import Teacher


@dataclass(frozen=True)
class DirectResult:
    """A validated reply and what it cost."""

    value: dict[str, Any]
    prompt_version: str
    calls: list[CallRecord]

    @property
    def call_summary(self) -> dict[str, Any]:
        return call_metrics(self.calls)  # type: ignore[arg-type]


def research_source(source: RunSource, options: RunOptions, *, teacher: Teacher) -> ResearchSnapshot:
    """The Research Scout's snapshot of a source, sized for this teacher's outline prompt."""
    options.validate()
    return scout.research_for_run(
        source_kind=source.kind,
        source_ref=source.ref,
        source_text=source.text,
        mode=options.research_mode,
        budget_tokens=research_excerpt_budget(teacher, settings.ALAIN),
    )


def _one_governed_call(teacher: Teacher, key: str, job: Callable[..., StructuredResult]) -> StructuredResult:
    """Run one teacher job holding a provider slot; raise its StructuredCallFailed when it failed."""
    [done] = run_concurrently({key: job}, concurrency=1, governor=governor_for(teacher))
    if done.result is None:
        assert done.error is not None
        raise done.error
    return done.result


def outline_for_source(research: ResearchSnapshot, options: RunOptions, *, teacher: Teacher) -> DirectResult:
    """The validated plan for a researched source; raises StructuredCallFailed when no reply was valid."""
    options.validate()
    prompt = load_prompt("outline")

    def job(check_cancelled: Callable[[], None]) -> StructuredResult:
        result, _ = generate_outline(
            teacher=teacher,
            research=research,
            difficulty=options.difficulty,
            language=options.language,
            max_sections=options.max_sections,
            max_attempts=settings.ALAIN["JSON_MAX_ATTEMPTS"],
            prompt_version=prompt.version,
            check_cancelled=check_cancelled,
        )
        return result

    result = _one_governed_call(teacher, "outline", job)
    return DirectResult(value=result.raw, prompt_version=prompt.label, calls=result.calls)


def section_for_outline(
    *,
    plan: PlanSpec,
    research: ResearchSnapshot,
    index: int,
    options: RunOptions,
    teacher: Teacher,
    instruction: str = "",
) -> DirectResult:
    """The validated section for step `index` (0-based) of `plan`."""
    options.validate()
    if not 0 <= index < len(plan.steps):
        raise RunOptionsError(f"the outline has {len(plan.steps)} steps; there is no step {index + 1}")
    if len(instruction) > 1000:
        raise RunOptionsError("the instruction is longer than 1000 characters")
    prompt = load_prompt("section")

    def job(check_cancelled: Callable[[], None]) -> StructuredResult:
        return generate_section(
            teacher=teacher,
            outline=plan,
            research=research,
            index=index,
            difficulty=options.difficulty,
            language=options.language,
            max_attempts=settings.ALAIN["JSON_MAX_ATTEMPTS"],
            prompt=prompt,
            instruction=instruction.strip(),
            check_cancelled=check_cancelled,
        )

    result = _one_governed_call(teacher, f"section-{index}", job)
    return DirectResult(value=result.raw, prompt_version=prompt.label, calls=result.calls)
