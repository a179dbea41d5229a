"""Static validators of the notebook contract (schema, code, placeholders, shape, secrets)."""

from __future__ import annotations

import re

import nbformat

from generation.pipeline.validators import FindingData, validator
from prompts import limits
from prompts.content_rules import find_placeholders, is_comment_only, python_parse_error

_STEP_HEADING = re.compile(r"^#{1,3}\s+(?:Step|Étape|Paso|Schritt)\s+(\d+)\s*:", re.MULTILINE)
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "openai-key": re.compile(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}"),
    "huggingface-token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "aws-access-key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "github-token": re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}"),
    "private-key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
}


def _cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return list(enumerate(nb.get("cells", [])))


@validator("schema")
def check_schema(nb: nbformat.NotebookNode) -> list[FindingData]:
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        return [FindingData("schema", "nbformat-invalid", "error", f"The notebook breaks the nbformat schema: {exc}")]
    return []


@validator("code")
def check_code(nb: nbformat.NotebookNode) -> list[FindingData]:
    findings = []
    for index, cell in _cells(nb):
        if cell.cell_type != "code":
            continue
        if not cell.source.strip() or is_comment_only(cell.source):
            findings.append(FindingData("code", "empty-code-cell", "error", "The code cell is empty.", index))
        elif error := python_parse_error(cell.source):
            findings.append(FindingData("code", "syntax-error", "error", f"The code does not parse: {error}.", index))
    return findings


@validator("placeholders")
def check_placeholders(nb: nbformat.NotebookNode) -> list[FindingData]:
    findings = []
    for index, cell in _cells(nb):
        for name in find_placeholders(cell.source):
            findings.append(
                FindingData(
                    "placeholders", f"placeholder-{name}", "error", f"Placeholder text ({name}) left in.", index
                )
            )
    return findings


@validator("structure")
def check_structure(nb: nbformat.NotebookNode) -> list[FindingData]:
    cells = nb.get("cells", [])
    markdown = sum(1 for c in cells if c.cell_type == "markdown")
    code = sum(1 for c in cells if c.cell_type == "code")
    findings = []
    if markdown + code:
        share = markdown / (markdown + code)
        if not limits.MARKDOWN_SHARE_MIN <= share <= limits.MARKDOWN_SHARE_MAX:
            findings.append(
                FindingData(
                    "structure",
                    "markdown-share",
                    "error",
                    f"Markdown cells are {share:.0%} of the notebook; the contract wants "
                    f"{limits.MARKDOWN_SHARE_MIN:.0%}-{limits.MARKDOWN_SHARE_MAX:.0%}.",
                )
            )
    numbers = [int(n) for cell in cells if cell.cell_type == "markdown" for n in _STEP_HEADING.findall(cell.source)]
    if numbers != list(range(1, len(numbers) + 1)) or len(numbers) < limits.STEPS_MIN:
        findings.append(
            FindingData(
                "structure",
                "step-numbering",
                "error",
                f"Steps must be numbered 1..N in order with at least {limits.STEPS_MIN}; found {numbers}.",
            )
        )
    return findings


@validator("secrets")
def check_secrets(nb: nbformat.NotebookNode) -> list[FindingData]:
    findings = []
    for index, cell in _cells(nb):
        texts = [cell.source]
        for output in cell.get("outputs", []):
            texts.append(str(output.get("text", "")))
            texts.extend(str(v) for v in output.get("data", {}).values())
        for name, pattern in SECRET_PATTERNS.items():
            if any(pattern.search(text) for text in texts):
                findings.append(
                    FindingData(
                        "secrets", f"secret-{name}", "error", f"A literal secret ({name}) is in the cell.", index
                    )
                )
    return findings
