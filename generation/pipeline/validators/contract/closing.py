"""The closing parts of the contract: exercises, summary and next steps, references, troubleshooting, metadata."""

from __future__ import annotations

import json
import re

from generation.pipeline.validators import FindingData
from generation.pipeline.validators.contract.common import any_label, finding, missing
from generation.pipeline.validators.layout import (
    EXERCISE_HEADING,
    NEXT_STEPS_HEADING,
    Layout,
    cell_ref,
    headings,
    text_outside_fences,
)
from prompts import limits

METADATA_REQUIRED_KEYS: tuple[str, ...] = ("tutorial_id", "source", "teacher", "prompt_versions")
_EXERCISE_DIFFICULTY = re.compile(
    rf"\b(?:{any_label('difficulty')}|{'|'.join(any_label(k) for k in ('easy', 'medium', 'hard'))})\b",
    re.IGNORECASE,
)
_TOKEN_ESTIMATE = re.compile(rf"(?:{any_label('estimated_tokens')}|tokens?)\W{{0,6}}~?\d|\d+\s*tokens?", re.I)
_TOP_LEVEL_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+\S")
_LINK = re.compile(r"\[[^\]]*\]\(\s*<?https?://[^)\s]+|<https?://[^>\s]+>|(?<![(<])\bhttps?://\S+")
_JSON_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})[ \t]*json[^\n]*\n(.*?)^\s{0,3}\1\s*$", re.M | re.S)

# --- exercises and closing parts --------------------------------------------------------------------------


def _blocks(text: str) -> list[str]:
    """The exercises of an exercises section: by numbered sub-heading, else by list item."""
    lines = text.splitlines()
    heads = [n for n, line in enumerate(lines) if (h := headings(line)) and EXERCISE_HEADING.match(h[0].text)]
    if not heads:
        top = min((h.level for h in headings(text)), default=0)
        heads = [n for n, line in enumerate(lines) if (h := headings(line)) and h[0].level > top]
    if heads:
        return ["\n".join(lines[a:b]) for a, b in zip(heads, [*heads[1:], len(lines)], strict=True)]
    items = [n for n, line in enumerate(lines) if _TOP_LEVEL_ITEM.match(line)]
    return ["\n".join(lines[a:b]) for a, b in zip(items, [*items[1:], len(lines)], strict=True)]


def check_exercises(layout: Layout) -> list[FindingData]:
    index = layout.first("exercises")
    if index is None:
        return [
            missing(
                "exercises",
                f"a manual follows its steps with {limits.EXERCISES_MIN}-{limits.EXERCISES_MAX} exercises, each with "
                "a difficulty and an estimate of the tokens an attempt costs.",
            )
        ]
    blocks = _blocks(text_outside_fences(layout.markdown_of("exercises")))
    if len(blocks) < limits.EXERCISES_MIN:
        return [
            finding(
                "too-few-exercises",
                "error",
                f"The exercises section holds {len(blocks)} exercise(s); the contract wants "
                f"{limits.EXERCISES_MIN}-{limits.EXERCISES_MAX}.",
                index,
            )
        ]
    findings = []
    if len(blocks) > limits.EXERCISES_MAX:
        findings.append(
            finding(
                "too-many-exercises",
                "warning",
                f"The exercises section holds {len(blocks)} exercises; keep at most {limits.EXERCISES_MAX}.",
                index,
            )
        )
    no_level = [n for n, block in enumerate(blocks, start=1) if not _EXERCISE_DIFFICULTY.search(block)]
    no_tokens = [n for n, block in enumerate(blocks, start=1) if not _TOKEN_ESTIMATE.search(block)]
    if no_level:
        findings.append(
            finding(
                "exercise-without-difficulty",
                "warning",
                f"Exercise(s) {', '.join(map(str, no_level))} do not say how hard they are (easy, medium or hard).",
                index,
            )
        )
    if no_tokens:
        findings.append(
            finding(
                "exercise-without-token-estimate",
                "warning",
                f"Exercise(s) {', '.join(map(str, no_tokens))} do not estimate the tokens an attempt costs.",
                index,
            )
        )
    return findings


def check_closing(layout: Layout) -> list[FindingData]:
    findings = []
    summary = layout.first("summary")
    if summary is None:
        findings.append(missing("summary", "a manual closes with a summary of what the reader did and learnt."))
    cells = layout.nb.cells
    after_steps = layout.first("exercises") or layout.first("steps") or 0
    next_steps = any(
        NEXT_STEPS_HEADING.match(h.text)
        for i, cell in enumerate(cells)
        if cell.cell_type == "markdown" and i >= after_steps
        for h in headings(cell.source)
    )
    if not next_steps:
        findings.append(
            finding(
                "missing-next-steps",
                "warning",
                "The manual has no 'Next steps' list saying where to go after it.",
                summary,
            )
        )
    references = layout.first("references")
    if references is None:
        findings.append(missing("references", "a manual lists its sources as links (model card, paper, code)."))
    elif not _LINK.search(layout.markdown_of("references")):
        findings.append(
            finding(
                "references-without-links",
                "warning",
                "The References section holds no link: cite at least the model card or the source documentation.",
                references,
            )
        )
    trouble = layout.first("troubleshooting")
    if trouble is None:
        findings.append(
            missing(
                "troubleshooting",
                f"a manual ends with {limits.TROUBLESHOOTING_MIN}-{limits.TROUBLESHOOTING_MAX} common problems "
                "and their fixes.",
            )
        )
    else:
        text = text_outside_fences(layout.markdown_of("troubleshooting"))
        items = sum(1 for line in text.splitlines() if _TOP_LEVEL_ITEM.match(line))
        items = max(items, sum(1 for h in headings(text) if h.level > 2))
        if items < limits.TROUBLESHOOTING_MIN:
            findings.append(
                finding(
                    "too-few-troubleshooting-entries",
                    "warning",
                    f"Troubleshooting lists {items} problem(s); the contract wants at least "
                    f"{limits.TROUBLESHOOTING_MIN}, each with its fix.",
                    trouble,
                )
            )
    return findings


# --- metadata --------------------------------------------------------------------------------------------------


def metadata_json(source: str) -> object:
    """The JSON a metadata cell holds (in a ```json fence, or as its whole text); raises ValueError."""
    match = _JSON_FENCE.search(source or "")
    return json.loads(match.group(2) if match else source)


def check_metadata(layout: Layout) -> list[FindingData]:
    index = layout.first("metadata")
    if index is None:
        return [
            missing(
                "metadata",
                "its last cell, tagged `alain-metadata`, records as JSON the tutorial id, the source, the teacher "
                "and the prompt versions the manual was built from.",
            )
        ]
    try:
        data = metadata_json(layout.nb.cells[index].source)
    except ValueError as exc:
        return [
            finding(
                "metadata-invalid-json",
                "error",
                f"{cell_ref(layout.nb, index)} should hold the manual's metadata as JSON, but it does not parse "
                f"({exc}). Restore the ```json block the builder wrote.",
                index,
            )
        ]
    absent = [
        key for key in METADATA_REQUIRED_KEYS if not isinstance(data, dict) or data.get(key) in (None, "", {}, [])
    ]
    if absent:
        return [
            finding(
                "metadata-incomplete",
                "error",
                f"The metadata in {cell_ref(layout.nb, index)} lacks {', '.join(absent)}: without them the manual "
                "cannot be traced back to its source and teacher.",
                index,
            )
        ]
    return []
