"""Safe HTML for untrusted text: model cards, generated markdown, notebook cells and outputs.

Everything a teacher wrote or a card contained is untrusted. Markdown goes through
markdown-it-py's `js-default` preset (raw HTML escaped, `javascript:` links refused) and then
through nh3 with a small allow-list, so a bug in one layer is caught by the other. Code is
highlighted by Pygments, which escapes every token; its colours come from a static CSS file
(the Content Security Policy forbids inline styles). Outputs are never rendered as HTML:
text is escaped, `text/html` is shown as source, images are accepted only as base64 PNG/JPEG.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import nh3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import PythonLexer, get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# xcode is the light Pygments style whose every token keeps a contrast of at least 4.5:1
# (WCAG 2.1 AA) on its white background.
PYGMENTS_STYLE = "xcode"
PYGMENTS_CSS_CLASS = "highlight"

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre",
    "s", "samp", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
# Pygments' token classes (for fenced code in markdown) and the wrapper's class: nothing else,
# so generated text cannot borrow the portal's own classes (a fake "banner", say).
_CLASSES = {*(name for name in STANDARD_TYPES.values() if name), PYGMENTS_CSS_CLASS}
_ALLOWED_CLASSES = {"div": {PYGMENTS_CSS_CLASS}, "pre": {PYGMENTS_CSS_CLASS}, "span": _CLASSES, "code": set()}
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_IMAGE_DATA = re.compile(r"^data:image/(png|jpeg);base64,[A-Za-z0-9+/]+={0,2}$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Links only to the web, mail or the same page; images only as inline PNG or JPEG."""
    if tag == "a" and attribute == "href":
        lowered = value.strip().lower()
        if lowered.startswith(_LINK_SCHEMES) or lowered.startswith("#"):
            return value
        return None
    if tag == "img" and attribute == "src":
        return value if _IMAGE_DATA.match(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    allowed_classes=_ALLOWED_CLASSES,
    url_schemes={"http", "https", "mailto", "data"},
    link_rel="noopener noreferrer",
)


def sanitize_html(html: str) -> SafeString:
    """HTML reduced to the allow-list above (no script, no event handlers, no unsafe URLs)."""
    return mark_safe(_CLEANER.clean(html))  # nh3 has just sanitized it


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # js-default: raw HTML is escaped, not passed through; links are validated.
    return MarkdownIt("js-default", {"highlight": _highlight_fence}).enable("table")


def _highlight_fence(code: str, language: str, _attrs: str) -> str:
    # markdown-it keeps a highlighter's output as is when it starts with <pre.
    spans = highlight(code, _lexer(language or "text"), HtmlFormatter(nowrap=True))
    return f'<pre class="{PYGMENTS_CSS_CLASS}"><code>{spans}</code></pre>'


def render_markdown(text: str, *, heading_offset: int = 1) -> SafeString:
    """Markdown to sanitized HTML; headings move down `heading_offset` levels (the page owns h1)."""
    md = _markdown()
    env: dict[str, Any] = {}
    tokens = md.parse(text or "", env)
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = min(6, int(token.tag[1]) + heading_offset)
            token.tag = f"h{level}"
    return sanitize_html(md.renderer.render(tokens, md.options, env))


def _lexer(language: str) -> Lexer:
    name = (language or "python").strip().lower()
    if name in {"python", "python3", "ipython", "ipython3", "py"}:
        return PythonLexer()
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return get_lexer_by_name("text")


def highlight_code(source: str, language: str = "python") -> SafeString:
    """Code as `<div class="highlight"><pre>` with Pygments token classes; every token escaped."""
    formatter = HtmlFormatter(nowrap=False, cssclass=PYGMENTS_CSS_CLASS, style=PYGMENTS_STYLE)
    return mark_safe(highlight(source or "", _lexer(language), formatter))  # Pygments escapes every token


def pygments_css() -> str:
    """The stylesheet for highlighted code (kept in alain_site/static/css/pygments.css)."""
    css = HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(f".{PYGMENTS_CSS_CLASS}")
    return f"/* Generated by generation.rendering.pygments_css(); do not edit by hand. */\n{css}\n"


# --- notebook outputs and cells ------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return "" if value is None else str(value)


def _pre(text: str, css_class: str) -> SafeString:
    return format_html('<pre class="{}">{}</pre>', css_class, _ANSI.sub("", text))


def _image(data: Any, mime: str, alt: str) -> SafeString | None:
    payload = re.sub(r"\s+", "", _text(data))
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    src = f"data:{mime};base64,{payload}"
    if not _IMAGE_DATA.match(src):
        return None
    return format_html('<img class="output-image" src="{}" alt="{}">', src, alt)


def render_output(output: dict[str, Any], *, cell_number: int, output_number: int) -> SafeString:
    """One output of a code cell, inert: escaped text, HTML shown as source, PNG/JPEG images only."""
    kind = output.get("output_type", "")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return _pre(_text(output.get("text")), f"output output-{name}")
    if kind == "error":
        lines = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}", *output.get("traceback", [])]
        return _pre("\n".join(_text(line) for line in lines), "output output-error")
    if kind in {"execute_result", "display_data"}:
        data = output.get("data") or {}
        alt = f"Image output {output_number} of cell {cell_number}"
        for mime in ("image/png", "image/jpeg"):
            if mime in data and (image := _image(data[mime], mime, alt)) is not None:
                return image
        if "text/plain" in data:
            return _pre(_text(data["text/plain"]), "output output-result")
        if "text/html" in data:
            return format_html(
                '<p class="output-note">HTML output, shown as source:</p>{}',
                _pre(_text(data["text/html"]), "output output-html"),
            )
        kinds = ", ".join(sorted(data)) or "nothing"
        return format_html('<p class="output-note">Output of type {} is not shown.</p>', kinds)
    return format_html('<p class="output-note">Output of type {} is not shown.</p>', kind or "unknown")


@dataclass
class RenderedCell:
    index: int
    cell_type: str
    html: SafeString
    outputs: list[SafeString] = field(default_factory=list)
    execution_count: int | None = None
    tags: list[str] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.index + 1


def render_cell(cell: dict[str, Any], index: int) -> RenderedCell:
    cell_type = cell.get("cell_type", "raw")
    source = _text(cell.get("source"))
    tags = [str(tag) for tag in (cell.get("metadata") or {}).get("tags", [])]
    if cell_type == "markdown":
        html = render_markdown(source)
    elif cell_type == "code":
        html = highlight_code(source)
    else:
        html = _pre(source, "raw-cell")
    outputs = [
        render_output(output, cell_number=index + 1, output_number=n)
        for n, output in enumerate(cell.get("outputs") or [], start=1)
    ]
    return RenderedCell(
        index=index,
        cell_type=cell_type,
        html=html,
        outputs=outputs,
        execution_count=cell.get("execution_count"),
        tags=tags,
    )


def render_notebook(nb: dict[str, Any]) -> list[RenderedCell]:
    """Every cell of a notebook (as parsed JSON or an nbformat node), rendered inert."""
    return [render_cell(cell, index) for index, cell in enumerate(nb.get("cells") or [])]


def attach_findings(cells: list[RenderedCell], findings: list[Any]) -> list[Any]:
    """Put each finding on its cell; returns those about the whole notebook (or a missing cell)."""
    by_index = {cell.index: cell for cell in cells}
    general = []
    for finding in findings:
        cell = by_index.get(finding.cell_index) if finding.cell_index is not None else None
        if cell is None:
            general.append(finding)
        else:
            cell.findings.append(finding)
    return general


__all__ = [
    "RenderedCell",
    "attach_findings",
    "highlight_code",
    "pygments_css",
    "render_cell",
    "render_markdown",
    "render_notebook",
    "render_output",
    "sanitize_html",
]
