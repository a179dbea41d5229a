"""The outline the demo teacher writes, and the step plan that the sections follow too.

A plan is a list of step kinds. Both stages rebuild it from the same context, so the section
stage can tell which step of an outline it is asked for without any state kept between calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prompts import limits
from prompts.specs import OutlineSpec
from providers.demo.facts import Facts, facts_from_context, facts_sentence, phrase, quality_sentence

# Order in which step kinds are dropped when fewer steps are asked for: the last ones go first.
PRIORITY = ("configure", "first_request", "parameters", "structured", "batch", "task", "evaluate", "limits")
# Order in which the kept steps appear in the manual.
POSITION = ("configure", "first_request", "task", "parameters", "structured", "evaluate", "batch", "limits")
# Wrong options for the licence and task questions; the right answer is filtered out of each.
LICENSE_DISTRACTORS = ("mit", "apache-2.0", "cc-by-nc-4.0", "gpl-3.0", "openrail")
TASK_DISTRACTORS = ("text-generation", "translation", "summarization", "image-classification", "feature-extraction")


def plan_kinds(count: int) -> list[str]:
    """The step kinds of a manual with `count` steps (clamped to the limits), in manual order."""
    count = max(limits.STEPS_MIN, min(count, limits.STEPS_MAX))
    kept = set(PRIORITY[:count])
    return [kind for kind in POSITION if kind in kept]


def kind_key(facts: Facts, kind: str) -> str:
    """The key prefix of a step kind's texts."""
    # The task step reads differently for each family of models.
    return f"task_{facts.family}" if kind == "task" else kind


def step_title(facts: Facts, kind: str) -> str:
    """The title of a step kind for this subject; the section stage matches outline titles on it."""
    title = phrase(facts, f"{kind_key(facts, kind)}.title")
    if kind == "task" and facts.family == "other" and not facts.task:
        title = phrase(facts, "task_other.title_generic")
    return title[: limits.TITLE_MAX_CHARS]


def _assessment(facts: Facts) -> list[dict[str, Any]]:
    items: list[tuple[str, list[str], str]] = [
        (phrase(facts, "q.base_url"), ["OPENAI_BASE_URL", "ALAIN_MODEL", "OPENAI_API_KEY", "PYTHONPATH"], "a.base_url"),
        (phrase(facts, "q.temperature"), [phrase(facts, f"o.temperature.{i}") for i in range(3)], "a.temperature"),
    ]
    if facts.task:
        distractors = [t for t in TASK_DISTRACTORS if t != facts.task][:3]
        items.append((phrase(facts, "q.task"), [facts.task, *distractors], "a.task"))
    else:
        items.append((phrase(facts, "q.secret"), [phrase(facts, f"o.secret.{i}") for i in range(3)], "a.secret"))
    items.append((phrase(facts, "q.json"), [phrase(facts, f"o.json.{i}") for i in range(3)], "a.json"))
    if facts.license:
        distractors = [x for x in LICENSE_DISTRACTORS if x.casefold() != facts.license.casefold()][:3]
        items.append((phrase(facts, "q.license"), [facts.license, *distractors], "a.license"))
    else:
        items.append(
            (phrase(facts, "q.no_license"), [phrase(facts, f"o.no_license.{i}") for i in range(3)], "a.no_license")
        )
    # The first option of each item is the right one; the builder decides where it shows.
    return [
        {
            "question": question,
            "answer": options[0],
            "distractors": options[1:],
            "explanation": phrase(facts, explanation, license=facts.license),
        }
        for question, options, explanation in items
    ]


def demo_outline(*, context: Mapping[str, Any]) -> dict[str, Any]:
    """An outline (as JSON data valid against OutlineSpec) for the research in `context`."""
    facts = facts_from_context(context)
    kinds = plan_kinds(int(context.get("max_sections") or limits.STEPS_DEFAULT))
    steps = [
        {
            "title": step_title(facts, kind),
            "goal": phrase(facts, f"{kind_key(facts, kind)}.goal"),
            "key_points": [phrase(facts, f"{kind_key(facts, kind)}.point.{i}") for i in range(2)],
        }
        for kind in kinds
    ]
    extra = {"beginner": 0, "intermediate": 5, "advanced": 10}[facts.difficulty]
    exercise_count = limits.EXERCISES_MIN if facts.difficulty == "beginner" else limits.EXERCISES_MAX
    overview = " ".join(
        part for part in (phrase(facts, "overview"), facts_sentence(facts), quality_sentence(facts)) if part
    )
    prerequisites = [phrase(facts, "prereq.python"), phrase(facts, "prereq.endpoint")]
    if facts.difficulty != "beginner":
        prerequisites.append(phrase(facts, "prereq.functions"))
    troubleshooting = [
        {"problem": phrase(facts, f"trouble.{i}.problem"), "fix": phrase(facts, f"trouble.{i}.fix")} for i in range(3)
    ]
    if facts.gated:
        troubleshooting.append(
            {"problem": phrase(facts, "trouble.gated.problem"), "fix": phrase(facts, "trouble.gated.fix")}
        )
    outline = {
        "title": phrase(facts, "title")[: limits.TITLE_MAX_CHARS],
        "overview": overview,
        "audience": phrase(facts, f"audience.{facts.difficulty}"),
        "reading_time_minutes": 8 + 4 * len(kinds) + extra,
        "objectives": [phrase(facts, f"{kind_key(facts, kind)}.objective") for kind in kinds][: limits.OBJECTIVES_MAX],
        "prerequisites": prerequisites,
        "steps": steps,
        "exercises": [
            {
                "title": phrase(facts, f"exercise.{i}.title"),
                "difficulty": ("easy", "medium", "hard")[i],
                "task": phrase(facts, f"exercise.{i}.task"),
            }
            for i in range(exercise_count)
        ],
        "assessment": _assessment(facts),
        "summary": phrase(facts, "summary", steps=len(kinds)),
        "next_steps": [phrase(facts, f"next.{i}") for i in range(3)],
        "troubleshooting": troubleshooting,
    }
    return OutlineSpec.model_validate(outline).model_dump(mode="json")
