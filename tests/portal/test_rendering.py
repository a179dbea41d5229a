"""generation.rendering: untrusted markdown, code and outputs come out inert."""

from __future__ import annotations

import base64
from pathlib import Path

from generation.rendering import (
    attach_findings,
    highlight_code,
    pygments_css,
    render_markdown,
    render_notebook,
    render_output,
    sanitize_html,
)
from tests.portal.inert import assert_inert

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">raw link</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://example.com"></iframe>',
    "<style>body{display:none}</style>",
)
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def test_markdown_payloads_render_as_text():
    html = render_markdown("\n\n".join(PAYLOADS))
    assert_inert(html)
    assert "&lt;script&gt;" in html


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = render_markdown(
        "# Title\n\nSome **bold** and [docs](https://example.com/docs).\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com/docs" rel="noopener noreferrer">docs</a>' in html
    assert "<table>" in html


def test_fenced_code_in_markdown_is_highlighted_and_escaped():
    html = render_markdown("```python\nprint('<script>alert(1)</script>')\n```")
    assert '<pre class="highlight">' in html
    assert '<span class="nb">print</span>' in html
    assert_inert(html)


def test_the_sanitizer_strips_what_a_markdown_bug_could_let_through():
    html = sanitize_html(
        '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)><p onclick="x()">p</p>'
        '<a href="data:text/html,<script>alert(1)</script>">d</a><div class="banner">fake banner</div>'
    )
    assert_inert(html)
    assert "onclick" not in html
    assert "data:text/html" not in html
    assert 'class="banner"' not in html
    assert 'rel="noopener noreferrer"' in html


def test_only_inline_png_and_jpeg_images_survive():
    html = sanitize_html(
        f'<img src="data:image/png;base64,{PNG}" alt="ok"><img src="https://tracker.example/p.gif" alt="t">'
    )
    assert f'src="data:image/png;base64,{PNG}"' in html
    assert "tracker.example" not in html


def test_code_is_highlighted_with_classes_and_escaped():
    html = highlight_code("import os\nprint('<script>alert(1)</script>')  # <img src=x onerror=alert(1)>")
    assert html.startswith('<div class="highlight"><pre>')
    assert '<span class="kn">import</span>' in html
    assert "style=" not in html
    assert_inert(html)


def test_text_and_error_outputs_are_escaped():
    stream = render_output(
        {"output_type": "stream", "name": "stdout", "text": "<script>alert(1)</script>"}, cell_number=1, output_number=1
    )
    error = render_output(
        {
            "output_type": "error",
            "ename": "ValueError",
            "evalue": "<img src=x onerror=alert(1)>",
            "traceback": ["\x1b[31mboom\x1b[0m"],
        },
        cell_number=1,
        output_number=2,
    )
    assert "&lt;script&gt;" in stream
    assert "boom" in error
    assert "\x1b" not in error
    assert_inert(stream + error)


def test_html_outputs_are_shown_as_source_not_rendered():
    html = render_output(
        {"output_type": "display_data", "data": {"text/html": "<script>alert(1)</script><b onmouseover=x>hi</b>"}},
        cell_number=3,
        output_number=1,
    )
    assert "shown as source" in html
    assert "&lt;script&gt;" in html
    assert_inert(html)
    assert "<b " not in html


def test_text_plain_wins_over_html_in_rich_outputs():
    html = render_output(
        {"output_type": "execute_result", "data": {"text/html": "<table></table>", "text/plain": "   a  b"}},
        cell_number=1,
        output_number=1,
    )
    assert "<table" not in html
    assert "a  b" in html


def test_images_become_data_urls_with_alt_text_and_bad_base64_is_refused():
    good = render_output(
        {"output_type": "display_data", "data": {"image/png": PNG + "\n"}}, cell_number=4, output_number=2
    )
    bad = render_output(
        {"output_type": "display_data", "data": {"image/png": '"><script>alert(1)</script>', "text/plain": "fallback"}},
        cell_number=4,
        output_number=3,
    )
    svg = render_output(
        {"output_type": "display_data", "data": {"image/svg+xml": "<svg onload=alert(1)>"}},
        cell_number=1,
        output_number=1,
    )
    assert f'src="data:image/png;base64,{PNG}"' in good
    assert 'alt="Image output 2 of cell 4"' in good
    assert "fallback" in bad and "<img" not in bad
    assert "not shown" in svg
    assert_inert(good + bad + svg)


def test_a_whole_notebook_with_payloads_renders_inert_and_findings_land_on_their_cells():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Hi\n", *PAYLOADS], "metadata": {}},
            {
                "cell_type": "code",
                "source": "display(HTML('<script>alert(1)</script>'))",
                "metadata": {},
                "execution_count": 1,
                "outputs": [{"output_type": "display_data", "data": {"text/html": ["<script>alert(1)</script>"]}}],
            },
            {"cell_type": "raw", "source": "<script>alert(1)</script>", "metadata": {}},
        ]
    }
    cells = render_notebook(nb)
    assert [cell.cell_type for cell in cells] == ["markdown", "code", "raw"]
    assert_inert("".join(cell.html + "".join(cell.outputs) for cell in cells))

    class F:
        def __init__(self, cell_index):
            self.cell_index = cell_index

    general = attach_findings(cells, [F(1), F(None), F(99)])
    assert len(cells[1].findings) == 1
    assert [f.cell_index for f in general] == [None, 99]


def test_the_static_pygments_stylesheet_matches_the_formatter():
    path = Path(__file__).resolve().parents[2] / "alain_site" / "static" / "css" / "pygments.css"
    assert path.read_text() == pygments_css()
