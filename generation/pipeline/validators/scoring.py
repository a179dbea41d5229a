"""The quality score of a validated notebook (0-100) and the mark a manual should reach.

    score = max(0, 100 - sum of penalty(kind) over every kind of finding)

A kind is one (validator, code) pair. Its penalty grows with repeats but is capped, so one
systematic problem (the same placeholder in twenty cells) cannot drown every other signal:

    penalty(kind) = min(cap, base + step * (n - 1))      n = findings of that kind

    severity   base  step  cap
    error        25     5   40
    warning       4     1    8
    info          0     0    0

QUALITY_PASS_MARK is 80. One error costs at least 25, so a notebook with any error scores at
most 75: reaching the mark implies `passed` (no errors). Without errors a manual reaches it
unless it collects more than five kinds of warnings, or fewer kinds that keep repeating, which
is what a good manual (and the builder's own output, scoring 100) easily does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol

from prompts import limits

# Not in prompts/limits.py yet: it judges validator output rather than shaping the notebook.
QUALITY_PASS_MARK = limits.QUALITY_PASS_MARK

# severity -> (base, step, cap)
PENALTIES: dict[str, tuple[int, int, int]] = {
    "error": (25, 5, 40),
    "warning": (4, 1, 8),
    "info": (0, 0, 0),
}


class _Finding(Protocol):
    validator: str
    code: str
    severity: str


def kind_penalty(severity: str, count: int) -> int:
    base, step, cap = PENALTIES.get(severity, (0, 0, 0))
    return min(cap, base + step * (count - 1)) if count else 0


def quality_score(findings: Iterable[_Finding]) -> int:
    """The score of a set of findings (see the module docstring)."""
    kinds = Counter((f.validator, f.code, f.severity) for f in findings)
    lost = sum(kind_penalty(severity, count) for (_, _, severity), count in kinds.items())
    return max(0, 100 - lost)
