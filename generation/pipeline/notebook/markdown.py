"""Putting untrusted text (teacher replies, card data) into markdown cells safely.

Teacher prose is markdown and stays markdown, but it must not carry raw HTML (Jupyter renders
some of it), headings that compete with the manual's own `Step N` structure, or an unclosed
code fence that swallows the rest of its cell.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def escape_html(text: str) -> str:
    # Only the characters that open tags or entities; quotes are harmless in markdown text.
    # `&` only where it would start an entity: a plain "R&D" stays readable in the raw .ipynb.
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _escape_outside_code(line: str) -> str:
    """Escape HTML in a line of prose, leaving inline code spans as written (they show literally)."""
    out, last = [], 0
    for match in _INLINE_CODE.finditer(line):
        out.append(escape_html(line[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape_html(line[last:]))
    return "".join(out)


def prose(text: str) -> str:
    """Teacher markdown made safe for a cell: HTML escaped, headings demoted, fences closed."""
    lines, fence = [], ""
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"):
        match = _FENCE.match(line)
        if fence:
            lines.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            lines.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            # The manual's own headings are levels 1-3; the teacher's start at 4.
            line = "#### " + line[heading.end() :]
        lines.append(_escape_outside_code(line))
    if fence:
        lines.append(fence)
    return "\n".join(lines)


def inline(text: str) -> str:
    """A single-line piece of teacher text (titles, list items): newlines folded, HTML escaped."""
    return _escape_outside_code(" ".join((text or "").split()))


def literal(text: str) -> str:
    """Text shown exactly as written, with every markdown control character escaped (link titles)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def code_span(text: str) -> str:
    """`text` as inline code, or escaped plain text when it holds backticks itself."""
    flat = " ".join((text or "").split())
    return f"`{flat}`" if flat and "`" not in flat else literal(flat)


def safe_url(url: str) -> str | None:
    """The URL if it is an absolute http(s) address fit for a markdown link, else None."""
    url = (url or "").strip()
    if not url or any(ch.isspace() or ch in '<>"`' for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Parentheses end a markdown link target early.
    return url.replace("(", "%28").replace(")", "%29")


def blockquote(text: str) -> str:
    """Every line of `text` quoted, so a multi-line callout stays one quote."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def json_fence(text: str) -> str:
    """A ```json block whose fence is longer than any backtick run in `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}json\n{text}\n{fence}"
