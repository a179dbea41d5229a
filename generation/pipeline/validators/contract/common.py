"""Helpers shared by the contract checks: the finding factory, label regexes, what is missing."""

from __future__ import annotations

import re

from generation.pipeline.notebook.labels import LABELS
from generation.pipeline.validators import FindingData

NAME = "contract"


def finding(code: str, severity: str, message: str, cell_index: int | None = None, **kw: bool) -> FindingData:
    return FindingData(NAME, code, severity, message, cell_index, **kw)


def any_label(key: str) -> str:
    words = {table[key] for table in LABELS.values() if key in table}
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def label_prefix(key: str) -> str:
    """The words of a label before its first `{value}`, in every language, as an alternation."""
    words = {table[key].split("{")[0].strip(" :") for table in LABELS.values()}
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_MISSING_WHAT = {
    "title": "title",
    "provider": "provider configuration",
    "seeds": "deterministic seeds",
    "exercises": "Exercises section",
    "summary": "Summary",
    "references": "References section",
    "troubleshooting": "Troubleshooting section",
    "metadata": "ALAIN metadata cell",
}


def missing(part: str, what: str, severity: str = "error") -> FindingData:
    return finding(f"missing-{part}", severity, f"The notebook has no {_MISSING_WHAT[part]}: {what}")
