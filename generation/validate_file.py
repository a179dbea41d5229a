"""`alain validate NOTEBOOK.ipynb`: validate any notebook, ALAIN's or not, for people and CI.

Exit codes: 0 passed, 2 usage error, 3 unreadable notebook, 5 validation failed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from generation.pipeline.autofix import AppliedFix, apply_deterministic_fixes
from generation.pipeline.checking import check_notebook
from generation.pipeline.validators import FindingData, ValidationReport
from generation.reports import render_validation_markdown

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
EXIT_PASSED, EXIT_USAGE, EXIT_UNREADABLE, EXIT_FAILED = 0, 2, 3, 5


@dataclass
class ValidateOutcome:
    exit_code: int
    message: str
    report: ValidationReport | None = None
    fixes: list[AppliedFix] = field(default_factory=list)
    fixed_path: Path | None = None
    markdown: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "message": self.message,
            "report": self.report.as_dict() if self.report else None,
            "fixes": [asdict(fix) for fix in self.fixes],
            "fixed_path": str(self.fixed_path) if self.fixed_path else None,
        }


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path`; raises ValueError with a sentence when it is not one."""
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{path} is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB")
    try:
        return nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not a notebook (not valid JSON: {exc})") from None
    except (nbformat.reader.NotJSONError, KeyError, AttributeError, TypeError) as exc:
        raise ValueError(f"{path} is not a Jupyter notebook ({type(exc).__name__})") from None


def validate_file(path: Path, *, execute: bool = False, fix: bool = False, out: Path | None = None) -> ValidateOutcome:
    try:
        nb = read_notebook(path)
    except ValueError as exc:
        return ValidateOutcome(EXIT_UNREADABLE, f"Cannot read the notebook: {exc}.")
    fixes: list[AppliedFix] = []
    fixed_path = None
    if fix:
        nb, fixes = apply_deterministic_fixes(nb)
        if fixes:
            fixed_path = out or path.with_name(f"{path.stem}.fixed.ipynb")
            if fixed_path.resolve() == path.resolve():
                return ValidateOutcome(EXIT_USAGE, "Usage error: --out must not overwrite the notebook being checked.")
            nbformat.write(nb, fixed_path)
    report, executed = check_notebook(nb, execute=execute)
    markdown = render_validation_markdown(
        title=path.name,
        nb=nb,
        findings=report.findings,
        summary={**report.as_dict(), "executed": executed},
        passed=report.passed,
        score=report.score,
    )
    counts = report.counts()
    verdict = "passed" if report.passed else "failed"
    message = f"{path.name} {verdict} validation: {counts['error']} error(s), {counts['warning']} warning(s)"
    if fixes:
        message += f"; {len(fixes)} fix(es) applied, fixed notebook in {fixed_path}"
    return ValidateOutcome(
        EXIT_PASSED if report.passed else EXIT_FAILED,
        message + ".",
        report=report,
        fixes=fixes,
        fixed_path=fixed_path,
        markdown=markdown,
    )


def finding_line(finding: FindingData) -> str:
    where = "notebook" if finding.cell_index is None else f"cell {finding.cell_index}"
    return f"{finding.severity:<7} {where:<9} {finding.validator}/{finding.code}: {finding.message}"
