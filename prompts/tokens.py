"""One token estimate used everywhere (prompt budgets, condensing, metrics).

tiktoken downloads its encodings at run time, which fails offline; a stable approximation is
enough for budgeting. Counted per word: an ASCII word costs one token per five characters
(common English words are one token), every punctuation mark one, and a word with non-ASCII
letters one per character, so that non-Latin text is over- rather than under-counted.
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
        total += math.ceil(len(piece) / 5) if piece.isascii() else len(piece)
    return total
