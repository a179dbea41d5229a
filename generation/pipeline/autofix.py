"""Deterministic fixes for mechanical problems, applied to a copy of the notebook.

Each fixer looks at the notebook itself (not at findings), so it works on any notebook and
is idempotent: running the fixes twice changes nothing the second time. What needs judgement
(wrong code, failing cells) is left to the teacher-driven repair or to a reviewer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

import nbformat

from generation.pipeline.notebook.labels import label


@dataclass(frozen=True)
class AppliedFix:
    fixer: str
    cell_index: int
    description: str


Fixer = Callable[[nbformat.NotebookNode], list[AppliedFix]]

_SHELL_PIP = re.compile(r"^(\s*)!\s*(?:python3?\s+-m\s+)?pip3?\s+install\b", re.MULTILINE)
# NAME = "literal" where NAME looks like a credential and the literal is not empty. The
# secrets validator marks exactly these findings as fixable.
SECRET_ASSIGNMENT = re.compile(
    r"^(?P<indent>\s*)(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:API_KEY|_TOKEN|_SECRET|PASSWORD|api_key|_token|_secret|password))"
    r"\s*=\s*(?P<quote>['\"])(?P<value>[^'\"\n]{8,})(?P=quote)\s*$",
    re.MULTILINE,
)


def fix_shell_pip(nb: nbformat.NotebookNode) -> list[AppliedFix]:
    """`!pip install` runs in a shell that may not be the kernel's environment; `%pip` is."""
    fixes = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = _SHELL_PIP.sub(lambda m: f"{m.group(1)}%pip install", cell.source)
        if source != cell.source:
            cell.source = source
            fixes.append(AppliedFix("shell-pip", index, "Replaced `!pip install` with `%pip install`."))
    return fixes


def fix_secret_literals(nb: nbformat.NotebookNode) -> list[AppliedFix]:
    """A key written into a cell becomes an environment lookup (the key itself is dropped)."""
    fixes = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        names: list[str] = []

        def replace(match: re.Match[str], names: list[str] = names) -> str:
            names.append(match["name"])
            env_name = match["name"].upper()
            return f'{match["indent"]}{match["name"]} = os.environ.get("{env_name}", "")'

        source = SECRET_ASSIGNMENT.sub(replace, cell.source)
        if source == cell.source:
            continue
        if not re.search(r"^\s*import os\b|^\s*import .*\bos\b", source, re.MULTILINE):
            source = "import os\n" + source
        cell.source = source
        fixes.append(
            AppliedFix(
                "secret-literal", index, f"Replaced literal secrets in {', '.join(names)} by environment lookups."
            )
        )
    return fixes


def fix_next_section_hints(nb: nbformat.NotebookNode) -> list[AppliedFix]:
    """Every step of an ALAIN manual ends with a hint naming the next step."""
    language = str(nb.metadata.get("alain", {}).get("language", "en"))
    hint_word = label(language, "next_section")
    steps: dict[int, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        step = cell.metadata.get("alain", {}).get("step")
        if isinstance(step, int):
            steps.setdefault(step, []).append(index)
    fixes = []
    ordered = sorted(steps)
    for position, step in enumerate(ordered):
        cells = steps[step]
        if any(hint_word in nb.cells[i].source for i in cells if nb.cells[i].cell_type == "markdown"):
            continue
        last_markdown = next((i for i in reversed(cells) if nb.cells[i].cell_type == "markdown"), None)
        if last_markdown is None:
            continue
        if position + 1 < len(ordered):
            next_step = ordered[position + 1]
            target = _step_title(nb, steps[next_step]) or label(language, "step", n=next_step, title="").rstrip(" :")
        else:
            target = label(language, "exercises")
        nb.cells[last_markdown].source = nb.cells[last_markdown].source.rstrip() + f"\n\n**{hint_word}:** {target}"
        fixes.append(AppliedFix("next-section-hint", last_markdown, f"Added the missing hint after step {step}."))
    return fixes


def _step_title(nb: nbformat.NotebookNode, cells: list[int]) -> str:
    for index in cells:
        cell = nb.cells[index]
        if cell.cell_type == "markdown":
            first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
            if first.startswith("#"):
                return first.lstrip("#").strip()
    return ""


FIXERS: tuple[Fixer, ...] = (fix_shell_pip, fix_secret_literals, fix_next_section_hints)


def apply_deterministic_fixes(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[AppliedFix]]:
    """A fixed copy of `nb` and what was changed (empty when nothing needed fixing)."""
    fixed = copy.deepcopy(nb)
    applied: list[AppliedFix] = []
    for fixer in FIXERS:
        applied.extend(fixer(fixed))
    return fixed, applied
