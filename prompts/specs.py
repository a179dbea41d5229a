"""The outline and section shapes: the one definition behind prompts, schemas, builder and validators.

`outline_schema()` / `section_schema()` give the JSON Schemas sent to teachers (and written to
`prompts/schemas/`); `OutlineSpec` / `SectionSpec` validate replies. Bounds come from `limits`.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from prompts import limits
from prompts.content_rules import (
    MANUAL_PACKAGES,
    find_placeholders,
    installs_packages,
    is_comment_only,
    is_setup_step,
    python_parse_error,
    unavailable_imports,
)

Difficulty = Literal["beginner", "intermediate", "advanced"]
DIFFICULTIES: tuple[str, ...] = ("beginner", "intermediate", "advanced")

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=limits.TITLE_MAX_CHARS)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=limits.SHORT_TEXT_MAX_CHARS)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=limits.PROSE_MAX_CHARS)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=limits.CODE_MAX_CHARS)]


_STEP_PREFIX = re.compile(r"^\s*(?:(?:step|étape|paso|schritt)\s*)?\d+\s*[:.)\-]\s*", re.IGNORECASE)


class StrictModel(BaseModel):
    # Unknown keys are errors; every field is required: what OpenAI's strict mode asks for.
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_placeholders(self) -> StrictModel:
        for name, value in self:
            texts = value if isinstance(value, list) else [value]
            for text in texts:
                if isinstance(text, str) and (found := find_placeholders(text)):
                    raise ValueError(
                        f"field '{name}' contains a placeholder ({', '.join(found)}); write the real content"
                    )
        return self


class StepPlan(StrictModel):
    title: Title

    @field_validator("title")
    @classmethod
    def _without_step_number(cls, title: str) -> str:
        # The builder numbers the steps itself; a teacher's own "Step 1:" would show twice.
        return _STEP_PREFIX.sub("", title).strip() or title

    goal: Short = Field(description="What the learner does and learns in this step.")
    key_points: list[Short] = Field(min_length=1, max_length=4)


class ExercisePlan(StrictModel):
    title: Title
    difficulty: Literal["easy", "medium", "hard"]
    task: Short = Field(description="What the learner must build or find out, in one or two sentences.")

    @property
    def estimated_tokens(self) -> int:
        # Estimated by ALAIN from the difficulty rather than asked of the teacher: small
        # teachers guess nonsense (5 tokens), and one table keeps estimates comparable.
        return limits.EXERCISE_TOKENS_BY_DIFFICULTY[self.difficulty]


class MultipleChoice(StrictModel):
    """A question with its right answer and wrong ones kept apart.

    Small teachers often get an `answer_index` wrong; with the answer stated explicitly a
    question always has a valid answer, and the builder places it among the options.
    """

    question: Short
    answer: Short = Field(description="The right answer.")
    distractors: list[Short] = Field(
        min_length=limits.MCQ_OPTIONS_MIN - 1,
        max_length=limits.MCQ_OPTIONS_MAX - 1,
        description="Plausible wrong answers.",
    )
    explanation: Short = Field(description="Why the right answer is right.")

    @model_validator(mode="after")
    def _options_are_distinct(self) -> MultipleChoice:
        options = [self.answer, *self.distractors]
        if len({option.casefold() for option in options}) != len(options):
            raise ValueError("the answer and the distractors must all be different")
        return self

    def arranged(self) -> tuple[list[str], int]:
        """The options in display order and the index of the answer, the same on every build."""
        slot = int(hashlib.sha256(self.question.encode("utf-8")).hexdigest(), 16) % (len(self.distractors) + 1)
        options = list(self.distractors)
        options.insert(slot, self.answer)
        return options, slot


class TroubleshootingItem(StrictModel):
    problem: Short
    fix: Short


class PlanSpec(StrictModel):
    """The first teacher call: what the manual teaches and its steps."""

    title: Title
    overview: Prose
    audience: Short
    reading_time_minutes: int = Field(ge=limits.READING_TIME_MIN_MINUTES, le=limits.READING_TIME_MAX_MINUTES)
    objectives: list[Short] = Field(min_length=limits.OBJECTIVES_MIN, max_length=limits.OBJECTIVES_MAX)
    prerequisites: list[Short] = Field(min_length=1, max_length=5)
    steps: list[StepPlan] = Field(min_length=limits.STEPS_MIN, max_length=limits.STEPS_MAX)

    @field_validator("steps")
    @classmethod
    def _steps_fit_the_run(cls, steps: list[StepPlan], info: ValidationInfo) -> list[StepPlan]:
        titles = [step.title.casefold() for step in steps]
        if len(set(titles)) != len(titles):
            raise ValueError("step titles must be distinct")
        if setup := [step.title for step in steps if is_setup_step(step.title)]:
            raise ValueError(
                # Worded without "setup cell": a 0.5B teacher turned those words into a "Setup Cell" step.
                f"steps {setup} are about installing, setting up or reading about the model; everything is "
                "installed already: plan only steps that do something with the model through the chat API"
            )
        # A run asks for at most `max_steps` sections (validation context, see outline_schema).
        max_steps = (info.context or {}).get("max_steps")
        if max_steps is not None and len(steps) > max_steps:
            raise ValueError(f"at most {max_steps} steps were asked for, got {len(steps)}")
        return steps


class WrapUpSpec(StrictModel):
    """The closing parts, written from the plan while the sections are being written."""

    exercises: list[ExercisePlan] = Field(min_length=limits.EXERCISES_MIN, max_length=limits.EXERCISES_MAX)
    assessment: list[MultipleChoice] = Field(min_length=limits.MCQ_MIN, max_length=limits.MCQ_MAX)
    summary: Prose
    next_steps: list[Short] = Field(min_length=1, max_length=5)
    troubleshooting: list[TroubleshootingItem] = Field(
        min_length=limits.TROUBLESHOOTING_MIN, max_length=limits.TROUBLESHOOTING_MAX
    )


PLAN_FIELDS: tuple[str, ...] = tuple(PlanSpec.model_fields)
WRAPUP_FIELDS: tuple[str, ...] = tuple(WrapUpSpec.model_fields)


class OutlineSpec(WrapUpSpec, PlanSpec):
    """The whole outline the builder renders: the plan and the wrap-up together."""

    @classmethod
    def combine(cls, plan: PlanSpec, wrapup: WrapUpSpec) -> OutlineSpec:
        return cls.model_validate({**plan.model_dump(), **wrapup.model_dump()})


class CodeBlock(StrictModel):
    intro: Short = Field(description="One or two sentences (markdown) saying what the code does.")
    code: Code = Field(description="Runnable Python for a Jupyter cell. No placeholders, no literal secrets.")

    @field_validator("code")
    @classmethod
    def _code_runs_as_python(cls, code: str) -> str:
        if is_comment_only(code):
            raise ValueError("code is empty or only comments")
        if installs_packages(code):
            raise ValueError("code installs packages; everything the manual needs is installed already")
        if missing := unavailable_imports(code):
            allowed = ", ".join(sorted(MANUAL_PACKAGES))
            raise ValueError(
                f"code imports {', '.join(missing)}, which a manual cannot use: only the standard library, {allowed} "
                "and the ask() helper are available"
            )
        if error := python_parse_error(code):
            raise ValueError(f"code does not parse as Python ({error})")
        return code


class Callout(StrictModel):
    kind: Literal["tip", "warning", "note"]
    text: Short


def title_key(title: str) -> str:
    """A title reduced to its words: no "Step 3:" prefix, quotes, end punctuation, case or spacing."""
    title = _STEP_PREFIX.sub("", title.strip().strip("\"'“”«»"))
    return " ".join(title.rstrip(" .!:;").split()).casefold()


class SectionSpec(StrictModel):
    title: Title
    explanation: Prose = Field(description="Markdown explanation of the step.")
    prerequisites: list[Short] = Field(max_length=4)
    code: list[CodeBlock] = Field(
        min_length=limits.CODE_CELLS_PER_SECTION_MIN, max_length=limits.CODE_CELLS_PER_SECTION_MAX
    )
    callouts: list[Callout] = Field(max_length=limits.CALLOUTS_PER_SECTION_MAX)
    takeaway: Short = Field(description="One sentence the learner should remember from this step.")

    @field_validator("code")
    @classmethod
    def _code_blocks_are_distinct(cls, code: list[CodeBlock]) -> list[CodeBlock]:
        # A 0.5B teacher filled a step with three copies of one print(); repeats teach nothing.
        sources = [" ".join(block.code.split()) for block in code]
        if len(set(sources)) != len(sources):
            raise ValueError("code blocks repeat each other; each block must do something new")
        return code

    @field_validator("title")
    @classmethod
    def _title_is_the_planned_one(cls, title: str, info: ValidationInfo) -> str:
        # A section answers one planned step; a different title means the teacher wrote
        # about something else (small teachers copy examples or other steps).
        expected = (info.context or {}).get("step_title")
        if expected and title_key(title) != title_key(expected):
            raise ValueError(f"the title must be exactly {expected!r}")
        return title


# Keywords left out of the schema sent to teachers. Maximum string lengths are still enforced
# by the pydantic models on every reply, but grammar-based servers (llama.cpp) expand
# `maxLength: 4000` into a 4000-deep grammar rule that crashed the local teacher. Minimum
# lengths stay: they are cheap in a grammar and stop a small teacher's empty strings.
_WIRE_DROPPED_KEYWORDS = frozenset({"maxLength"})


@cache
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    # pydantic builds the schema anew on every call (about 2 ms for a section); every teacher call
    # sends one. Never handed out as is: `_inline_schema` returns a fresh copy.
    return model.model_json_schema()


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema as sent to teachers: no `title` noise, no maximum string lengths.

    A new dict each time (callers may adjust it, see `_capped_steps`).
    """
    schema = _json_schema(model)

    def scrub(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: scrub(value)
                for key, value in node.items()
                if key not in _WIRE_DROPPED_KEYWORDS and (key != "title" or not isinstance(value, str))
            }
        if isinstance(node, list):
            return [scrub(item) for item in node]
        return node

    return scrub(schema)


def _capped_steps(schema: dict[str, Any], max_steps: int) -> dict[str, Any]:
    schema["properties"]["steps"]["maxItems"] = max(limits.STEPS_MIN, min(max_steps, limits.STEPS_MAX))
    return schema


def outline_schema(max_steps: int = limits.STEPS_MAX) -> dict[str, Any]:
    """JSON Schema of a whole outline (plan and wrap-up) with at most `max_steps` steps."""
    return _capped_steps(_inline_schema(OutlineSpec), max_steps)


def plan_schema(max_steps: int = limits.STEPS_MAX) -> dict[str, Any]:
    """JSON Schema of the plan with at most `max_steps` steps (the run's maxSections)."""
    return _capped_steps(_inline_schema(PlanSpec), max_steps)


def wrapup_schema() -> dict[str, Any]:
    """JSON Schema of the wrap-up: exercises, assessment, summary, next steps, troubleshooting."""
    return _inline_schema(WrapUpSpec)


def section_schema() -> dict[str, Any]:
    """JSON Schema of one section."""
    return _inline_schema(SectionSpec)
