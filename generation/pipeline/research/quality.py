"""Score how well a model card documents its model (0-100), with the signals behind the score.

The score only says how much the manual can lean on the card: a thin card is flagged (the
manual says so) but never hidden. Points, out of 100:

- length of the body: up to 25 (full marks from `FULL_LENGTH_TOKENS`);
- sections present, found by heading: `SECTION_POINTS` (usage 15, description 6, intended uses 5,
  limitations 8, training 6, evaluation 6, license 3, citation 3), up to 52;
- front matter present 5, plus 1 per useful field (license, pipeline_tag, library_name,
  language, base_model, datasets, tags), at most 5;
- code examples: 8 for a fenced code block, 5 more when there are three or more;
- auto-generated template text: "This model card has been automatically generated" -20,
  "More Information Needed" repeated -15, "[optional]" placeholders -10.
"""

from __future__ import annotations

import re
from typing import Any

from generation.pipeline.research.card import strip_code_blocks
from generation.pipeline.research.condense import classify_title
from generation.pipeline.research.snapshot import CardQuality
from prompts.tokens import count_tokens

FULL_LENGTH_TOKENS = 1500
THIN_SCORE = 45
THIN_TOKENS = 300
SECTION_POINTS = {
    "usage": 15,
    "description": 6,
    "intended_uses": 5,
    "limitations": 8,
    "training": 6,
    "evaluation": 6,
    "license": 3,
    "citation": 3,
}
FRONT_MATTER_FIELDS = ("license", "pipeline_tag", "library_name", "language", "base_model", "datasets", "tags")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+)$", re.MULTILINE)
_FENCE = re.compile(r"^[ ]{0,3}(```|~~~)", re.MULTILINE)
_AUTO_GENERATED = re.compile(r"this model card has been automatically generated", re.IGNORECASE)
_MORE_INFO = re.compile(r"more information needed", re.IGNORECASE)
_OPTIONAL = re.compile(r"\[optional\]", re.IGNORECASE)


def score_card(body: str, front_matter: dict[str, Any], *, has_front_matter: bool) -> CardQuality:
    """Score the card body and front matter; see the module docstring for the points."""
    tokens = count_tokens(body)
    prose = strip_code_blocks(body)
    kinds = {classify_title(title) for title in _HEADING.findall(prose)}
    # A card with a license in its metadata documents it even without a License section.
    if front_matter.get("license"):
        kinds.add("license")
    sections = {kind: kind in kinds for kind in SECTION_POINTS}
    fields = [name for name in FRONT_MATTER_FIELDS if front_matter.get(name) not in (None, "", [], {})]
    code_blocks = len(_FENCE.findall(body)) // 2
    auto_generated = len(_AUTO_GENERATED.findall(body))
    more_info = len(_MORE_INFO.findall(body))
    optional = len(_OPTIONAL.findall(body))

    score = round(25 * min(1.0, tokens / FULL_LENGTH_TOKENS))
    score += sum(points for kind, points in SECTION_POINTS.items() if sections[kind])
    score += (5 if has_front_matter else 0) + min(5, len(fields))
    score += (8 if code_blocks else 0) + (5 if code_blocks >= 3 else 0)
    score -= 20 if auto_generated else 0
    score -= 15 if more_info >= 3 else 0
    score -= 10 if optional >= 3 else 0
    score = max(0, min(100, score))

    flags = []
    if auto_generated or more_info >= 3 or optional >= 3:
        flags.append("The card looks auto-generated from the Hub template and was not filled in.")
    if not sections["usage"] and not code_blocks:
        flags.append("The card has no usage section and no code example.")
    elif not code_blocks:
        flags.append("The card has no code example.")
    if not sections["limitations"]:
        flags.append("The card does not describe limitations or risks.")
    thin = score < THIN_SCORE or tokens < THIN_TOKENS
    if thin:
        flags.insert(
            0,
            f"Thin card: documentation quality {score}/100 ({tokens} tokens); the manual relies on general "
            "knowledge of this kind of model where the card is silent.",
        )
    signals = {
        "body_tokens": tokens,
        "sections": sections,
        "front_matter": has_front_matter,
        "front_matter_fields": fields,
        "code_blocks": code_blocks,
        "auto_generated_notice": auto_generated,
        "more_information_needed": more_info,
        "optional_placeholders": optional,
    }
    return CardQuality(score=score, thin=thin, signals=signals, flags=flags)
