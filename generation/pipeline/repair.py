"""Execution-grounded repair: a step whose code failed is rewritten by the teacher, shown the
failing code and the traceback, then the notebook is rebuilt and validated again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import nbformat

from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.sections import SECTION_SIZES, request_section
from generation.pipeline.structured import BASE_SEED, StructuredResult
from generation.pipeline.validators import FindingData
from prompts.audience import language_name
from prompts.loader import PromptTemplate
from prompts.specs import PlanSpec, SectionSpec
from providers.base import Teacher

PROMPT_NAME = "section_repair"
# Bounds what is pasted back into the prompt, so a huge traceback cannot crowd out the rest.
_CODE_CHARS = 3000
_ERROR_CHARS = 1500


def failing_steps(nb: nbformat.NotebookNode, findings: Sequence[FindingData]) -> dict[int, list[FindingData]]:
    """Execution errors grouped by the (1-based) step whose cell raised them."""
    by_step: dict[int, list[FindingData]] = defaultdict(list)
    for finding in findings:
        if finding.validator != "execution" or finding.severity != "error" or finding.cell_index is None:
            continue
        if not 0 <= finding.cell_index < len(nb.cells):
            continue
        step = nb.cells[finding.cell_index].metadata.get("alain", {}).get("step")
        if isinstance(step, int):
            by_step[step].append(finding)
    return dict(by_step)


def step_code(nb: nbformat.NotebookNode, step: int) -> str:
    cells = [c.source for c in nb.cells if c.cell_type == "code" and c.metadata.get("alain", {}).get("step") == step]
    return "\n\n# --- next cell ---\n\n".join(cells)


def repair_section(
    *,
    teacher: Teacher,
    plan: PlanSpec,
    research: ResearchSnapshot,
    index: int,
    failing_code: str,
    error: str,
    difficulty: str,
    language: str,
    max_attempts: int,
    prompt: PromptTemplate,
    current: SectionSpec | None = None,
    seed_base: int = BASE_SEED,
    check_cancelled: Callable[[], None] | None = None,
) -> StructuredResult:
    """Ask the teacher for a new version of step `index + 1` that avoids `error`."""
    step = plan.steps[index]
    messages = prompt.render(
        manual_title=plan.title,
        subject=research.subject,
        difficulty=difficulty,
        language_name=language_name(language),
        language_code=language,
        step_number=str(index + 1),
        step_title=step.title,
        step_goal=step.goal,
        failing_code=failing_code[:_CODE_CHARS],
        error=error[:_ERROR_CHARS],
        **SECTION_SIZES,
    )
    return request_section(
        teacher=teacher,
        messages=messages,
        stage="section_repair",
        outline=plan,
        research=research,
        index=index,
        difficulty=difficulty,
        language=language,
        max_attempts=max_attempts,
        seed_base=seed_base,
        extra_context={
            "failing_code": failing_code,
            "error": error,
            "current": current.model_dump(mode="json") if current else None,
        },
        check_cancelled=check_cancelled,
    )
