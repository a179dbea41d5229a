"""Notebook validators: a registry of checks that each return findings.

A version passes when no finding has severity "error". Each validator is a function
`(nb) -> list[FindingData]` registered with `@validator(name)`; the stage runs them all, times
each one, and the caller persists the findings on the notebook version.

The static validators, by module: `static` (schema, code, placeholders), `structure` (markdown
share, step numbering and content), `contract` (the manual's parts, their order and contents),
`assessment` (the quiz: questions, answers, explanations), `colab` (runs on Colab and
elsewhere) and `secrets` (keys and tokens in cells and outputs). The quality score is
described in `scoring`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import nbformat

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class FindingData:
    validator: str
    code: str
    severity: str
    message: str
    cell_index: int | None = None
    fixable: bool = False


@dataclass
class ValidationReport:
    findings: list[FindingData] = field(default_factory=list)
    durations_ms: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {severity: sum(1 for f in self.findings if f.severity == severity) for severity in SEVERITIES}

    @property
    def score(self) -> int:
        """0-100, see `scoring`: any error keeps it below QUALITY_PASS_MARK."""
        from generation.pipeline.validators.scoring import quality_score

        return quality_score(self.findings)

    @property
    def meets_pass_mark(self) -> bool:
        from generation.pipeline.validators.scoring import QUALITY_PASS_MARK

        return self.score >= QUALITY_PASS_MARK

    def summary(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "score": self.score,
            "counts": self.counts(),
            "validators": sorted(self.durations_ms),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "durations_ms": {k: round(v, 2) for k, v in sorted(self.durations_ms.items())},
            "findings": [asdict(f) for f in self.findings],
        }


ValidatorFn = Callable[[nbformat.NotebookNode], list[FindingData]]
REGISTRY: dict[str, ValidatorFn] = {}


def validator(name: str) -> Callable[[ValidatorFn], ValidatorFn]:
    def register(fn: ValidatorFn) -> ValidatorFn:
        REGISTRY[name] = fn
        return fn

    return register


def validate_notebook(nb: nbformat.NotebookNode, *, only: list[str] | None = None) -> ValidationReport:
    """Run the registered static validators (all, or those named in `only`)."""
    # Importing the modules registers the validators; kept here to avoid import cycles.
    from generation.pipeline.validators import (  # noqa: F401
        assessment,
        colab,
        contract,
        layout,
        secrets,
        static,
        structure,
    )

    report = ValidationReport()
    with layout.shared_layouts():
        for name, fn in REGISTRY.items():
            if only is not None and name not in only:
                continue
            started = time.perf_counter()
            try:
                report.findings.extend(fn(nb))
            except Exception as exc:  # a broken validator must show up as a finding, not pass silently
                report.findings.append(
                    FindingData(name, "validator-crashed", "error", f"The {name} validator crashed: {exc}")
                )
            report.durations_ms[name] = (time.perf_counter() - started) * 1000
    report.findings.sort(key=lambda f: (f.cell_index if f.cell_index is not None else -1, f.validator, f.code))
    return report
