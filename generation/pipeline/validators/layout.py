"""Where the parts of the notebook contract sit in a notebook, for the validators.

ALAIN's builder marks every cell with `metadata.alain.role` (and `step` on step cells), so its
parts are found by role. A notebook from elsewhere has no roles: its parts are found by their
headings instead, in every language the builder writes plus common English synonyms, so
`alain validate` can still say which parts of the contract it lacks. Cells a reviewer added
without a role belong to the part of the cell before them.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property

import nbformat

from generation.pipeline.notebook.labels import LABELS
from prompts.content_rules import parse_code_cell

# The contract's parts, in the order DESIGN.md puts them.
CONTRACT_PARTS: tuple[str, ...] = (
    "title",
    "setup",
    "provider",
    "seeds",
    "steps",
    "exercises",
    "assessment",
    "summary",
    "references",
    "troubleshooting",
    "metadata",
)
PART_NAMES: dict[str, str] = {
    "title": "Title and overview",
    "setup": "Setup",
    "provider": "Provider configuration",
    "seeds": "Deterministic seeds",
    "steps": "Step sections",
    "exercises": "Exercises",
    "assessment": "Assessment",
    "summary": "Summary",
    "references": "References",
    "troubleshooting": "Troubleshooting",
    "metadata": "Metadata cell",
}
ROLE_PARTS: dict[str, str] = {
    "front-matter": "title",
    "setup": "setup",
    "setup-install": "setup",
    "setup-check": "setup",
    "provider": "provider",
    "provider-config": "provider",
    "seeds": "seeds",
    "seeds-code": "seeds",
    "step-explanation": "steps",
    "step-intro": "steps",
    "step-code": "steps",
    "step-wrap-up": "steps",
    "exercises": "exercises",
    "assessment": "assessment",
    "assessment-quiz": "assessment",
    "summary": "summary",
    "references": "references",
    "troubleshooting": "troubleshooting",
    "metadata": "metadata",
}
METADATA_TAG = "alain-metadata"

# Headings that open a part in notebooks without roles: the builder's own label in every
# language, then English words other authors use for the same thing.
_PART_LABEL_KEYS = {
    part: part
    for part in ("setup", "provider", "seeds", "exercises", "assessment", "summary", "references", "troubleshooting")
}
_PART_LABEL_KEYS["metadata"] = "metadata"
_EXTRA_HEADINGS: dict[str, tuple[str, ...]] = {
    "setup": ("setup", "set up", "installation", "install", "requirements", "dependencies", "getting started"),
    "provider": ("configuration", "api key", "api keys", "credentials", "authentication", "endpoint"),
    "seeds": ("seeds", "random seed", "random seeds", "reproducibility", "determinism"),
    "exercises": ("exercise", "exercises", "practice", "try it yourself", "hands-on exercises", "challenges"),
    "assessment": ("assessment", "quiz", "knowledge check", "check your understanding", "self-check"),
    "summary": ("summary", "conclusion", "conclusions", "recap", "wrap-up", "wrap up", "key takeaways"),
    "references": ("references", "reference", "resources", "further reading", "bibliography", "sources"),
    "troubleshooting": ("troubleshooting", "common problems", "common issues", "common errors", "faq"),
    "metadata": ("notebook metadata",),
}


def _words(label_key: str) -> set[str]:
    return {table[label_key].casefold() for table in LABELS.values() if label_key in table}


PART_HEADINGS: dict[str, tuple[str, ...]] = {
    part: tuple(sorted(_words(key) | set(_EXTRA_HEADINGS.get(part, ())), key=len, reverse=True))
    for part, key in _PART_LABEL_KEYS.items()
}


def _label_prefixes(label_key: str) -> list[str]:
    """The words before `{n}` in a numbered label ("Step {n}: {title}" -> "Step"), every language."""
    return sorted({table[label_key].split("{n}")[0].strip() for table in LABELS.values()})


def _alternation(words: list[str] | set[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


STEP_HEADING = re.compile(
    rf"^(?:{_alternation(_label_prefixes('step'))})\s+(\d+)\b\s*(?:[:.)\-\u2013\u2014]\s*(.*))?$", re.IGNORECASE
)
EXERCISE_HEADING = re.compile(
    rf"^(?:{_alternation(_label_prefixes('exercise'))}|task|challenge)\s+(\d+)\b", re.IGNORECASE
)
NEXT_SECTION = re.compile(
    rf"(?:{_alternation({t['next_section'] for t in LABELS.values()})})|\bnext (?:step|section|up)\b", re.IGNORECASE
)
NEXT_STEPS_HEADING = re.compile(
    rf"^(?:{_alternation({t['next_steps'] for t in LABELS.values()})}|what's next|where to go next|going further)",
    re.IGNORECASE,
)

_HEADING_LINE = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_LEADING_NOISE = re.compile(r"^[^\w]+|^\d+(?:\.\d+)*[.)]?\s+")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int  # 0-based line in the cell


def headings(source: str) -> list[Heading]:
    """Markdown headings of a cell, skipping fenced code blocks (a `# comment` there is not one)."""
    found, fence = [], ""
    for number, line in enumerate((source or "").splitlines()):
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        if heading := _HEADING_LINE.match(line):
            found.append(Heading(len(heading.group(1)), _plain(heading.group(2)), number))
    return found


def _plain(text: str) -> str:
    """Heading text without markdown emphasis, links' targets or leading numbering."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def heading_part(text: str) -> str | None:
    """The contract part a heading opens, or None."""
    normalized = text.casefold()
    while (stripped := _LEADING_NOISE.sub("", normalized, count=1)) != normalized:
        normalized = stripped
    for part, words in PART_HEADINGS.items():
        for word in words:
            if normalized == word or re.match(re.escape(word) + r"(?![\w'])", normalized):
                return part
    return None


def step_heading(heading: Heading) -> tuple[int, str] | None:
    """(number, title) of a `Step N: title` heading of level 1-3 (deeper ones are teacher prose)."""
    if heading.level > 3:
        return None
    match = STEP_HEADING.match(heading.text)
    return (int(match.group(1)), (match.group(2) or "").strip()) if match else None


def cell_role(cell: nbformat.NotebookNode) -> str:
    alain = cell.get("metadata", {}).get("alain", {})
    return str(alain.get("role", "")) if isinstance(alain, dict) else ""


def cell_step(cell: nbformat.NotebookNode) -> int | None:
    alain = cell.get("metadata", {}).get("alain", {})
    step = alain.get("step") if isinstance(alain, dict) else None
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def cell_tags(cell: nbformat.NotebookNode) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [str(tag) for tag in tags] if isinstance(tags, list) else []


def cell_ref(nb: nbformat.NotebookNode, index: int) -> str:
    """How a message names a cell: "Cell 14 (code, step 2)" (indexes count from 0, as in reports)."""
    cells = nb.get("cells", [])
    if not 0 <= index < len(cells):
        return f"Cell {index}"
    cell = cells[index]
    step = cell_step(cell)
    return f"Cell {index} ({cell.get('cell_type', 'unknown')}{f', step {step}' if step is not None else ''})"


def cell_range(indexes: list[int] | tuple[int, ...]) -> str:
    if not indexes:
        return "no cells"
    return f"cell {indexes[0]}" if len(indexes) == 1 else f"cells {indexes[0]}-{indexes[-1]}"


def readable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb`, or a copy whose cells all have a text `source` and a `cell_type`, so that the checks
    after `schema` report a malformed notebook instead of crashing on it."""
    cells = nb.get("cells", [])
    if isinstance(cells, list) and all(
        isinstance(c, dict) and isinstance(c.get("source"), str) and isinstance(c.get("cell_type"), str) for c in cells
    ):
        return nb
    fixed = nbformat.from_dict(copy.deepcopy(dict(nb)))
    good = []
    for cell in fixed.get("cells", []) if isinstance(fixed.get("cells"), list) else []:
        if not isinstance(cell, dict):
            # Kept as an empty raw cell so that cell numbers still match the notebook.
            good.append(nbformat.from_dict({"cell_type": "raw", "source": "", "metadata": {}}))
            continue
        source = cell.get("source", "")
        cell["source"] = "".join(map(str, source)) if isinstance(source, list) else str(source or "")
        cell["cell_type"] = str(cell.get("cell_type", "raw"))
        good.append(cell)
    fixed["cells"] = good
    return fixed


def is_python_notebook(nb: nbformat.NotebookNode) -> bool:
    """True unless the notebook says its kernel runs another language."""
    metadata = nb.get("metadata", {})
    language = str(
        metadata.get("kernelspec", {}).get("language", "") or metadata.get("language_info", {}).get("name", "")
    )
    return language.lower() in ("", "python", "python3", "ipython", "ipython3")


def parse_python(source: str) -> ast.Module | None:
    """The AST of a code cell (IPython magics blanked out), or None when it does not parse.

    Shared with every other reader of the same source (see `parse_code_cell`): never change it.
    """
    return parse_code_cell(source or "")


def text_outside_fences(source: str) -> str:
    """Markdown text with fenced code blocks removed."""
    lines, fence = [], ""
    for line in (source or "").splitlines():
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Step:
    """One `Step N` section: the number its heading shows (None without one) and its cells."""

    number: int | None
    title: str
    cells: tuple[int, ...]


@dataclass
class Layout:
    nb: nbformat.NotebookNode
    built_by_alain: bool
    parts: dict[str, list[int]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    # (cell index, number) of every `Step N` heading at levels 1-3, in notebook order.
    step_headings: list[tuple[int, int]] = field(default_factory=list)

    def first(self, part: str) -> int | None:
        cells = self.parts.get(part)
        return cells[0] if cells else None

    def cells_of(self, part: str, cell_type: str | None = None) -> list[int]:
        cells = self.nb.get("cells", [])
        return [i for i in self.parts.get(part, []) if cell_type is None or cells[i].cell_type == cell_type]

    def markdown_of(self, part: str) -> str:
        cells = self.nb.get("cells", [])
        return "\n\n".join(cells[i].source for i in self.cells_of(part, "markdown"))

    @cached_property
    def code_indexes(self) -> list[int]:
        return [i for i, cell in enumerate(self.nb.get("cells", [])) if cell.cell_type == "code"]

    def code_before_steps(self) -> list[int]:
        first_step = self.first("steps")
        return [i for i in self.code_indexes if first_step is None or i < first_step]


# Layouts already located during one `validate_notebook` call, by notebook: three validators
# need the same one, and the notebook does not change while they run.
_shared_layouts: ContextVar[dict[int, Layout] | None] = ContextVar("shared_layouts", default=None)


@contextmanager
def shared_layouts() -> Iterator[None]:
    """Within the block, `locate` computes each notebook's layout once (read it, never change it)."""
    token = _shared_layouts.set({})
    try:
        yield
    finally:
        _shared_layouts.reset(token)


def locate(nb: nbformat.NotebookNode) -> Layout:
    """The contract parts of `nb`: by ALAIN roles when any cell has one, else by headings."""
    nb = readable(nb)
    shared = _shared_layouts.get()
    if shared is None:
        return _locate(nb)
    layout = shared.get(id(nb))
    if layout is None:  # each layout keeps its notebook alive, so no other notebook takes its id
        layout = shared[id(nb)] = _locate(nb)
    return layout


def _locate(nb: nbformat.NotebookNode) -> Layout:
    cells = nb.get("cells", [])
    built = any(cell_role(cell) in ROLE_PARTS for cell in cells)
    layout = Layout(nb=nb, built_by_alain=built)
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        for heading in headings(cell.source):
            if (step := step_heading(heading)) is not None:
                layout.step_headings.append((index, step[0]))
    if built:
        _locate_by_role(layout)
    else:
        _locate_by_heading(layout)
    for index, cell in enumerate(cells):
        if METADATA_TAG in cell_tags(cell) and index not in layout.parts.get("metadata", []):
            layout.parts.setdefault("metadata", []).append(index)
    for part in layout.parts:
        layout.parts[part] = sorted(set(layout.parts[part]))
    return layout


def _locate_by_role(layout: Layout) -> None:
    part, step = None, None
    groups: dict[int, list[int]] = {}
    for index, cell in enumerate(layout.nb.cells):
        role = cell_role(cell)
        if role in ROLE_PARTS:
            part = ROLE_PARTS[role]
            step = cell_step(cell) if part == "steps" else None
        if part is None:
            continue
        layout.parts.setdefault(part, []).append(index)
        if part == "steps" and step is not None:
            groups.setdefault(step, []).append(index)
    heading_numbers = dict(layout.step_headings)
    for _, indexes in sorted(groups.items()):
        shown = next((heading_numbers[i] for i in indexes if i in heading_numbers), None)
        title = next((t for i in indexes if i in heading_numbers for t in [_step_title(layout.nb.cells[i])]), "")
        layout.steps.append(Step(shown, title, tuple(indexes)))


def _step_title(cell: nbformat.NotebookNode) -> str:
    for heading in headings(cell.source):
        if (step := step_heading(heading)) is not None:
            return step[1]
    return ""


def _locate_by_heading(layout: Layout) -> None:
    part: str | None = None
    current_step: list[int] | None = None
    for index, cell in enumerate(layout.nb.cells):
        found: list[str] = []
        if cell.cell_type == "markdown":
            for heading in headings(cell.source):
                if (step := step_heading(heading)) is not None:
                    current_step = [index]
                    layout.steps.append(Step(step[0], step[1], (index,)))
                    found.append("steps")
                elif (named := heading_part(heading.text)) is not None:
                    found.append(named)
                elif heading.level == 1 and "title" not in layout.parts and not found and part is None:
                    found.append("title")
        for name in found:
            layout.parts.setdefault(name, []).append(index)
        if found:
            part = found[-1]
        elif part is not None:
            layout.parts.setdefault(part, []).append(index)
            if part == "steps" and current_step is not None and layout.steps:
                current_step.append(index)
                last = layout.steps[-1]
                layout.steps[-1] = Step(last.number, last.title, tuple(current_step))
        if part != "steps":
            current_step = None
