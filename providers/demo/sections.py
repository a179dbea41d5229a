"""The sections the demo teacher writes, one per outline step.

A step the demo planned itself gets its own explanation, code and callouts; a step from another
teacher's outline (its title matches no demo step) gets a generic but runnable section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prompts import limits
from prompts.specs import SectionSpec
from providers.demo.code_cells import code_blocks
from providers.demo.facts import Facts, facts_from_context, facts_sentence, phrase, quality_sentence
from providers.demo.outline import POSITION, kind_key, plan_kinds, step_title


def _kind_for(facts: Facts, outline: Mapping[str, Any], index: int) -> str | None:
    """The demo step kind behind outline step `index`, or None for a step the demo did not plan."""
    titles = [str(step.get("title", "")).strip() for step in outline.get("steps") or []]
    planned = plan_kinds(len(titles))
    if index < len(planned) and step_title(facts, planned[index]) == titles[index]:
        return planned[index]
    for kind in POSITION:
        if step_title(facts, kind) == titles[index]:
            return kind
    return None


def demo_section(*, context: Mapping[str, Any]) -> dict[str, Any]:
    """Section `context["section_index"]` of `context["outline"]`, valid against SectionSpec."""
    facts = facts_from_context(context)
    outline = context["outline"]
    index = int(context["section_index"])
    step = outline["steps"][index]
    kind = _kind_for(facts, outline, index)
    blocks = {"beginner": 1, "intermediate": 2, "advanced": 3}[facts.difficulty]
    prerequisites = (
        [phrase(facts, "section.prereq.first")] if index == 0 else [phrase(facts, "section.prereq.previous", n=index)]
    )
    if kind is None:
        # A step from another teacher's outline: generic but runnable, driven by the step's own goal.
        goal = str(step.get("goal", "")).strip()
        points = " ".join(str(p).strip().rstrip(".") + "." for p in step.get("key_points") or [])
        code = code_blocks(kind="generic", facts=facts, goal=goal)[:blocks]
        section = {
            "title": step["title"],
            "explanation": f"{goal} {points} {phrase(facts, 'generic.explanation')} {phrase(facts, f'style.{facts.difficulty}')}",
            "prerequisites": prerequisites,
            "code": [{"intro": phrase(facts, f"generic.intro.{i}"), "code": c} for i, c in enumerate(code)],
            "callouts": [{"kind": "note", "text": phrase(facts, "generic.callout")}],
            "takeaway": phrase(facts, "generic.takeaway"),
        }
        return SectionSpec.model_validate(section).model_dump(mode="json")

    key = kind_key(facts, kind)
    code = code_blocks(kind=kind, facts=facts, goal="")[:blocks]
    explanation = " ".join(
        part
        for part in (
            phrase(facts, f"{key}.explanation", **explanation_values(facts, kind)),
            phrase(facts, f"style.{facts.difficulty}"),
        )
        if part
    )
    callouts = [{"kind": phrase(facts, f"{key}.callout.kind"), "text": phrase(facts, f"{key}.callout")}]
    if kind == "limits" and facts.thin:
        callouts.append({"kind": "warning", "text": quality_sentence(facts)[: limits.SHORT_TEXT_MAX_CHARS]})
    section = {
        "title": step["title"],
        "explanation": explanation,
        "prerequisites": prerequisites,
        "code": [{"intro": phrase(facts, f"{key}.intro.{i}"), "code": c} for i, c in enumerate(code)],
        "callouts": callouts,
        "takeaway": phrase(facts, f"{key}.takeaway"),
    }
    return SectionSpec.model_validate(section).model_dump(mode="json")


def explanation_values(facts: Facts, kind: str) -> dict[str, str]:
    """The fact-dependent sentences a step's explanation template may use."""
    values = {"facts": facts_sentence(facts), "quality": quality_sentence(facts)}
    if facts.generation_config:
        settings = ", ".join(f"{name}={value}" for name, value in facts.generation_config)
        values["generation"] = phrase(facts, "fact.generation", settings=settings)
    else:
        values["generation"] = phrase(facts, "fact.no_generation")
    values["license"] = (
        phrase(facts, "fact.license_terms", license=facts.license)
        if facts.license
        else phrase(facts, "fact.no_license")
    )
    values["size"] = phrase(facts, "fact.size", params=facts.params) if facts.params else ""
    values["sections"] = (
        phrase(facts, "fact.compare_sections", sections=", ".join(facts.card_sections)) if facts.card_sections else ""
    )
    return values
