"""Fit a model card into the prompt budget without cutting it silently.

A card that fits is kept as is. A longer card is cleaned of noise (HTML, badges, inline images,
the tail of long tables, each replaced by a visible marker where text is lost), split at its
Markdown headings, and its sections are ranked by what a hands-on manual needs most
(`SECTION_RANKING`, first match wins, subsections inherit their parent's kind). The best ranked
sections that fit are kept in their original order; when the next best does not fit, its
leading paragraphs are kept with a marker. Kept and dropped titles, with token counts, are
recorded in the `Condensation`. The same body and budget always give the same result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generation.pipeline.research.card import closes_fence, fence_marker, plain_inline
from generation.pipeline.research.snapshot import Condensation
from prompts.tokens import count_tokens

# Kinds of section, best first; a title matches the first kind one of whose words it contains.
SECTION_RANKING: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("usage", ("how to use", "usage", "quickstart", "quick start", "getting started", "inference", "use with",
               "use the model", "example", "deploy", "serving", "running", "run", "installation", "requirements")),
    ("description", ("model description", "description", "overview", "introduction", "intro", "about",
                     "model details", "model information", "model summary", "summary", "key features",
                     "highlights", "architecture", "inputs and outputs")),
    ("prompting", ("prompt", "chat template", "chat format", "sampling", "best practice", "thinking",
                   "generation parameters", "switching")),
    ("intended_uses", ("intended use", "uses", "use cases", "out-of-scope", "applications")),
    ("limitations", ("limitation", "bias", "risk", "ethic", "safety", "caveat")),
    ("training", ("training", "fine-tun", "finetun", "dataset", "data", "preprocessing", "pretraining")),
    ("evaluation", ("evaluation", "benchmark", "result", "performance", "metric")),
    ("license", ("license", "licence", "terms")),
    ("citation", ("citation", "bibtex", "cite", "reference", "paper")),
)  # fmt: skip
KIND_RANK = {kind: rank for rank, (kind, _) in enumerate(SECTION_RANKING)} | {"other": len(SECTION_RANKING)}
INTRO_TITLE = "(introduction)"
PARTIAL_MARKER = "(The rest of this section was left out to fit the prompt budget.)"
TABLE_MAX_ROWS = 12
TABLE_KEPT_ROWS = 8
MIN_PARTIAL_TOKENS = 60

_KIND_PATTERNS = [
    (kind, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE))
    for kind, words in SECTION_RANKING
]
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_INLINE_CODE = re.compile(r"(`+)(?:.*?)\1", re.DOTALL)
_BASE64_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*data:[^)]*\)", re.IGNORECASE)
_BADGE = re.compile(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


@dataclass(frozen=True)
class CardSection:
    index: int
    title: str
    level: int
    kind: str
    text: str

    @property
    def tokens(self) -> int:
        return count_tokens(self.text)


def condense_card(body: str, budget_tokens: int) -> tuple[str, Condensation]:
    """Return the card text to put in prompts and how it was obtained (see the module docstring)."""
    original = count_tokens(body)
    budget = max(0, budget_tokens)
    if original <= budget:
        return body, Condensation(method="none", original_tokens=original, kept_tokens=original)
    sections = split_sections(clean_noise(body))
    chosen: dict[int, str] = {}
    kept: list[tuple[int, str]] = []
    dropped: list[tuple[int, str]] = []
    remaining = budget
    for section in sorted(sections, key=lambda s: (KIND_RANK[s.kind], s.index)):
        tokens = section.tokens
        if tokens <= remaining:
            chosen[section.index] = section.text
            kept.append((section.index, f"{section.title} ({tokens} tokens)"))
            remaining -= tokens
            continue
        partial = ""
        if section.kind != "other" and remaining >= MIN_PARTIAL_TOKENS:
            partial = _leading_part(section.text, remaining)
        if partial:
            used = count_tokens(partial)
            chosen[section.index] = partial
            kept.append((section.index, f"{section.title} (first part, {used} tokens)"))
            dropped.append(
                (section.index, f"{section.title} (rest, {tokens - used + count_tokens(PARTIAL_MARKER)} tokens)")
            )
            remaining -= used
        else:
            dropped.append((section.index, f"{section.title} ({tokens} tokens)"))
    text = "\n\n".join(chosen[i].strip("\n") for i in sorted(chosen))
    text = text + "\n" if text else ""
    condensation = Condensation(
        method="sections-ranked",
        original_tokens=original,
        kept_tokens=count_tokens(text),
        kept_sections=[title for _, title in sorted(kept)],
        dropped_sections=[title for _, title in sorted(dropped)],
    )
    return text, condensation


CODE_OMITTED = "(code example omitted)"


def without_code_blocks(body: str) -> str:
    """The card with each fenced code block replaced by a short note.

    Card code loads the model locally (transformers, vLLM); a manual calls it through the chat
    API. Shown that code, small teachers copy it into their steps, brackets and all.
    """
    out: list[str] = []
    fence = ""
    for line in body.splitlines():
        if fence:
            if closes_fence(line, fence):
                fence = ""
            continue
        if marker := fence_marker(line):
            fence = marker
            out.append(CODE_OMITTED)
            continue
        out.append(line)
    return "\n".join(out) + ("\n" if body.endswith("\n") else "")


def card_headings(body: str) -> list[str]:
    """The titles of the card's headings (outside code), in order."""
    return [section.title for section in split_sections(body) if section.level]


def split_sections(body: str) -> list[CardSection]:
    """Split at ATX headings outside code fences; text before the first heading is the intro."""
    raw: list[tuple[str, int, list[str]]] = [(INTRO_TITLE, 0, [])]
    fence = ""
    for line in body.splitlines():
        marker = fence_marker(line)
        if fence:
            if closes_fence(line, fence):
                fence = ""
        elif marker:
            fence = marker
        else:
            match = _HEADING.match(line)
            if match:
                raw.append((plain_inline(match.group(2)) or "(untitled)", len(match.group(1)), [line]))
                continue
        raw[-1][2].append(line)
    sections: list[CardSection] = []
    parents: list[CardSection] = []
    for title, level, lines in raw:
        text = "\n".join(lines).strip("\n")
        if not text.strip():
            continue
        while parents and parents[-1].level >= level:
            parents.pop()
        kind = classify_title(title) if level else "description"
        if level == 1 and kind == "other":
            kind = "description"  # the card's own title and its opening text
        elif kind == "other":
            # A subsection (`### vLLM` under `## Usage`) is of its parent's kind.
            kind = next((p.kind for p in reversed(parents) if p.level >= 2 and p.kind != "other"), "other")
        section = CardSection(len(sections), title, level, kind, text + "\n")
        sections.append(section)
        if level:
            parents.append(section)
    return sections


def classify_title(title: str) -> str:
    """The kind of a section by its title (`SECTION_RANKING`), or 'other'."""
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(title):
            return kind
    return "other"


def clean_noise(body: str) -> str:
    """Remove HTML, badges and inline images and shorten long tables, outside code blocks."""
    out: list[str] = []
    prose: list[str] = []
    fence = ""

    def flush() -> None:
        if prose:
            out.extend(_shorten_tables(_clean_prose("\n".join(prose)).split("\n")))
            prose.clear()

    for line in body.splitlines():
        marker = fence_marker(line)
        if fence:
            out.append(line)
            if closes_fence(line, fence):
                fence = ""
        elif marker:
            flush()
            fence = marker
            out.append(line)
        else:
            prose.append(line)
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n") + "\n"


def _clean_prose(text: str) -> str:
    # Inline code (`<think>`, `<|im_start|>`) is protected: only the text between spans is cleaned.
    pieces, last = [], 0
    for match in _INLINE_CODE.finditer(text):
        pieces.append(_clean_markup(text[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_clean_markup(text[last:]))
    lines = [line.rstrip() for line in "".join(pieces).split("\n")]
    return "\n".join(lines)


def _clean_markup(text: str) -> str:
    text = _HTML_COMMENT.sub("", text)
    text = _BASE64_IMAGE.sub("", text)
    text = _BADGE.sub("", text)
    text = _IMAGE.sub("", text)
    return _HTML_TAG.sub("", text)


def _shorten_tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    table: list[str] = []
    for line in [*lines, ""]:
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if len(table) > TABLE_MAX_ROWS:
            shown = table[: TABLE_KEPT_ROWS + 2]  # header and separator rows too
            out += [*shown, f"({len(table) - len(shown)} more table rows not shown)"]
        else:
            out += table
        table = []
        out.append(line)
    return out[:-1]


def _leading_part(text: str, budget: int) -> str:
    """The leading blocks of a section (code blocks whole) that fit `budget` with the marker."""
    room = budget - count_tokens(PARTIAL_MARKER)
    blocks = _blocks(text)
    taken: list[str] = []
    used = 0
    for block in blocks:
        tokens = count_tokens(block)
        if used + tokens > room:
            break
        taken.append(block)
        used += tokens
    # A heading alone is not worth keeping.
    if not any(not _HEADING.match(block.splitlines()[0]) for block in taken):
        return ""
    return "\n\n".join([*taken, PARTIAL_MARKER]) + "\n"


def _blocks(text: str) -> list[str]:
    """Paragraph-like blocks split at blank lines, never inside a fenced code block."""
    blocks: list[str] = []
    current: list[str] = []
    fence = ""
    for line in text.splitlines():
        marker = fence_marker(line)
        if fence:
            current.append(line)
            if closes_fence(line, fence):
                fence = ""
            continue
        if marker:
            fence = marker
        elif not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        elif _HEADING.match(line) and current:
            blocks.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks
