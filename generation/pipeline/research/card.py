"""Read a model card: YAML front matter (huggingface_hub `RepoCard` rules), body, title.

Also rebuilds a readable card from the API's `cardData` when the README itself cannot be
downloaded (gated repos), so such models still get a manual.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# The same pattern as huggingface_hub's REGEX_YAML_BLOCK (which mirrors the Hub server): the file
# starts, after optional whitespace, with a `---` line, and a later `---` line closes the block.
YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")
_HEADING_1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MAX_YAML_NODES = 20_000


@dataclass
class ParsedCard:
    front_matter: dict[str, Any]
    body: str
    has_front_matter: bool
    notes: list[str] = field(default_factory=list)


def parse_card(text: str) -> ParsedCard:
    """Split a card into front matter (a JSON-safe dict) and body; bad YAML becomes a note."""
    text = text.lstrip("\ufeff")
    match = YAML_BLOCK.search(text)
    if not match:
        return ParsedCard({}, _normalize_newlines(text), False)
    body = _normalize_newlines(text[match.end() :])
    try:
        loaded = yaml.safe_load(match.group(2))
    except yaml.YAMLError:
        note = "The card's YAML front matter could not be parsed, so its metadata was ignored."
        return ParsedCard({}, body, True, [note])
    if loaded is None:
        return ParsedCard({}, body, True)
    if not isinstance(loaded, dict):
        return ParsedCard({}, body, True, ["The card's front matter is not a YAML mapping, so it was ignored."])
    try:
        data = to_jsonable(loaded)
    except ValueError:
        return ParsedCard({}, body, True, ["The card's front matter is too large or nested, so it was ignored."])
    return ParsedCard(data, body, True)


def to_jsonable(value: Any) -> Any:
    """Copy YAML/JSON data into plain JSON types (dates as ISO strings, keys as str).

    YAML aliases can make a small document expand hugely once copied; a node budget stops that.
    """
    budget = [_MAX_YAML_NODES]

    def convert(item: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError("too many nodes")
        if isinstance(item, dict):
            return {str(k): convert(v) for k, v in item.items()}
        if isinstance(item, (list, tuple, set)):
            return [convert(v) for v in item]
        if isinstance(item, (dt.date, dt.datetime, dt.time)):
            return item.isoformat()
        if item is None or isinstance(item, (bool, int, str)):
            return item
        if isinstance(item, float):
            return item if item == item and item not in (float("inf"), float("-inf")) else str(item)
        return str(item)

    return convert(value)


def card_title(body: str) -> str:
    """The first level-1 Markdown heading outside code blocks, without formatting, or ''."""
    for line in strip_code_blocks(body).splitlines():
        match = _HEADING_1.match(line)
        if match:
            return plain_inline(match.group(1))
    return ""


def strip_code_blocks(text: str) -> str:
    """`text` with fenced code blocks blanked out (so `# comment` lines are not headings)."""
    out, fence = [], ""
    for line in text.splitlines():
        marker = fence_marker(line)
        if fence:
            if closes_fence(line, fence):
                fence = ""
            out.append("")
        elif marker:
            fence = marker
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def fence_marker(line: str) -> str:
    """The ``` or ~~~ run opening/closing a fenced code block on this line, or ''."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return ""
    match = re.match(r"(`{3,}|~{3,})", stripped)
    return match.group(1) if match else ""


def closes_fence(line: str, fence: str) -> bool:
    """Whether `line` closes the code block opened by `fence` (same character, at least as long, alone)."""
    marker = fence_marker(line)
    return bool(marker) and marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker) :]


def plain_inline(text: str) -> str:
    """Heading text without links, images, emphasis or HTML, for use as a label."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[*`]+", "", text)
    # Emphasis underscores only: `enable_thinking` keeps its underscore.
    text = re.sub(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])", "", text)
    return re.sub(r"\s+", " ", text).strip()


def card_from_card_data(repo_id: str, card_data: dict[str, Any]) -> str:
    """A Markdown card rebuilt from the API's parsed front matter, for when README.md is gated."""
    lines = [
        f"# {repo_id}",
        "",
        "The full model card could not be downloaded; this summary comes from its metadata.",
        "",
    ]
    facts = []
    for key, label in (
        ("license", "License"),
        ("license_name", "License name"),
        ("license_link", "License link"),
        ("pipeline_tag", "Task"),
        ("library_name", "Library"),
        ("base_model", "Base model"),
        ("language", "Languages"),
        ("datasets", "Datasets"),
        ("tags", "Tags"),
    ):
        value = card_data.get(key)
        if value in (None, "", []):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        facts.append(f"- {label}: {shown}")
    if facts:
        lines += ["## Model metadata", "", *facts, ""]
    heading = card_data.get("extra_gated_heading")
    conditions = [
        value.strip()
        for key in ("extra_gated_description", "extra_gated_prompt")
        if isinstance(value := card_data.get(key), str) and value.strip()
    ]
    if conditions:
        title = plain_inline(heading) if isinstance(heading, str) and heading.strip() else "Access conditions"
        lines += [f"## {title}", "", "\n\n".join(conditions), ""]
    return "\n".join(lines).rstrip() + "\n"


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
