"""Small notebooks and finding look-ups for the validator tests."""

from __future__ import annotations

import copy
from functools import cache

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from generation.pipeline.validators import REGISTRY, FindingData, validate_notebook
from tests.generation.pipeline.test_assembly import demo_notebook


@cache
def _demo(language: str) -> nbformat.NotebookNode:
    return demo_notebook(language=language)


def demo(language: str = "en") -> nbformat.NotebookNode:
    """A fresh copy of the demo teacher's manual (built once per language)."""
    return copy.deepcopy(_demo(language))


def run(nb: nbformat.NotebookNode, name: str) -> list[FindingData]:
    validate_notebook(nb, only=[])  # registers every validator
    return REGISTRY[name](nb)


def codes(nb: nbformat.NotebookNode, name: str) -> list[str]:
    return [f.code for f in run(nb, name)]


def only(nb: nbformat.NotebookNode, name: str, code: str) -> FindingData:
    (found,) = [f for f in run(nb, name) if f.code == code]
    return found


def notebook(*cells: str) -> nbformat.NotebookNode:
    """Cells from strings: "md:" for markdown, anything else is code."""
    return new_notebook(cells=[new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells])


def index_of(nb: nbformat.NotebookNode, role: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("alain", {}).get("role") == role)
