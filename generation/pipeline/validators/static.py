"""Static validators of any notebook: nbformat schema, code that parses, no placeholder text."""

from __future__ import annotations

import nbformat

from generation.pipeline.validators import FindingData, validator
from generation.pipeline.validators.layout import cell_ref, is_python_notebook, readable
from prompts.content_rules import PLACEHOLDER_PATTERNS, is_comment_only, python_parse_error

# What each placeholder pattern means, for the reviewer reading the finding.
PLACEHOLDER_WORDS: dict[str, str] = {
    "todo": "a TODO marker",
    "tbd": "a TBD marker",
    "fixme": "a FIXME marker",
    "your-code-here": "a 'your code here' stub",
    "lorem-ipsum": "lorem ipsum filler text",
    "replace-placeholder": "an instruction to replace a placeholder",
    "truncated": "a truncation marker (the text was cut off)",
    "lone-ellipsis": "a line holding only '...' (content left out)",
}
_EXCERPT_CHARS = 60


@validator("schema")
def check_schema(nb: nbformat.NotebookNode) -> list[FindingData]:
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        where = "/".join(str(part) for part in getattr(exc, "absolute_path", []) or [])
        reason = str(getattr(exc, "message", "") or exc).splitlines()[0][:300]
        return [
            FindingData(
                "schema",
                "nbformat-invalid",
                "error",
                f"The notebook breaks the nbformat 4 schema{f' at {where}' if where else ''}: {reason}. "
                "Jupyter and Colab may refuse to open it; save it again from Jupyter or rebuild it.",
            )
        ]
    return []


@validator("code")
def check_code(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    python = is_python_notebook(nb)
    findings = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.cell_type != "code":
            continue
        where = cell_ref(nb, index)
        if not cell.source.strip():
            findings.append(
                FindingData("code", "empty-code-cell", "error", f"{where} is empty: delete it or add its code.", index)
            )
        elif is_comment_only(cell.source):
            findings.append(
                FindingData(
                    "code",
                    "comment-only-code-cell",
                    "error",
                    f"{where} holds only comments, no code: turn the comments into markdown or write the code.",
                    index,
                )
            )
        elif python and (error := python_parse_error(cell.source)):
            findings.append(
                FindingData(
                    "code",
                    "syntax-error",
                    "error",
                    f"{where}: the code does not parse as Python ({error}). It would fail when run.",
                    index,
                )
            )
    return findings


def _excerpt(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end != -1 else len(text)].strip()
    return line if len(line) <= _EXCERPT_CHARS else line[: _EXCERPT_CHARS - 1] + "…"


@validator("placeholders")
def check_placeholders(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    findings = []
    for index, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "") or ""
        for name, pattern in PLACEHOLDER_PATTERNS.items():
            match = pattern.search(source)
            if match is None:
                continue
            findings.append(
                FindingData(
                    "placeholders",
                    f"placeholder-{name}",
                    "error",
                    f"{cell_ref(nb, index)} still holds {PLACEHOLDER_WORDS.get(name, name)}: "
                    f'"{_excerpt(source, match.start(), match.end())}". Write the missing content or remove the line.',
                    index,
                )
            )
    return findings
