"""One token estimate used everywhere (prompt budgets, condensing, metrics).

tiktoken downloads its encodings at run time, which fails offline; a stable approximation is
enough for budgeting: about four bytes of UTF-8 per token for English, counted per word so that
long runs of symbols or non-Latin text are not under-counted.
"""

from __future__ import annotations

import math
import re

_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def count_tokens(text: str) -> int:
    """Estimate the tokens of `text` for a BPE tokenizer (deterministic, never zero for text)."""
    if not text:
        return 0
    total = 0
    for piece in _PIECE.findall(text):
        total += max(1, math.ceil(len(piece.encode("utf-8")) / 4))
    return total
