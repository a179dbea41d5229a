"""Content rules shared by response validation, the builder and the validators.

A teacher reply that breaks one of these is sent back with the reason; the notebook validators
(issue 3) apply the very same functions to the assembled notebook.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import lru_cache

# Placeholders that must never ship in a manual. Matched case-insensitively on prose and code.
PLACEHOLDER_PATTERNS: dict[str, re.Pattern[str]] = {
    "todo": re.compile(r"\bTODO\b"),
    "tbd": re.compile(r"\bTBD\b"),
    "fixme": re.compile(r"\bFIXME\b"),
    "your-code-here": re.compile(r"<\s*your[\s_-]*code[\s_-]*here\s*>|your code here", re.IGNORECASE),
    "lorem-ipsum": re.compile(r"lorem\s+ipsum", re.IGNORECASE),
    "replace-placeholder": re.compile(r"replace\s+(the|this)\s+placeholder", re.IGNORECASE),
    "truncated": re.compile(r"\[(?:truncated|continued|content truncated)[^\]]*\]|\(truncated\)", re.IGNORECASE),
    # A line that is only an ellipsis (prose or code) stands for content someone left out.
    "lone-ellipsis": re.compile(r"^\s*(?:#\s*)?(?:\.\.\.|…)\s*$", re.MULTILINE),
}


def _scoped(pattern: re.Pattern[str]) -> str:
    flags = "".join(letter for flag, letter in ((re.IGNORECASE, "i"), (re.MULTILINE, "m")) if pattern.flags & flag)
    return f"(?{flags}:{pattern.pattern})"


# Every pattern in one, each with its own flags: one search tells whether any can match, so a
# text without placeholders (nearly every field of every reply) is scanned once instead of 8 times.
_ANY_PLACEHOLDER = re.compile("|".join(_scoped(pattern) for pattern in PLACEHOLDER_PATTERNS.values()))


def find_placeholders(text: str) -> list[str]:
    """Names of the placeholder patterns found in `text`."""
    if not text or not _ANY_PLACEHOLDER.search(text):
        return []
    return [name for name, pattern in PLACEHOLDER_PATTERNS.items() if pattern.search(text)]


_MAGIC_LINE = re.compile(r"^(\s*)([%!])")


def strip_ipython_syntax(code: str) -> str:
    """Replace IPython magics and shell escapes with `pass` so `ast.parse` can judge the rest.

    A cell magic (`%%bash`) makes the whole cell non-Python, so it becomes empty.
    """
    lines = code.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return ""
    out = []
    for line in lines:
        match = _MAGIC_LINE.match(line)
        out.append(f"{match.group(1)}pass" if match else line)
    return "\n".join(out)


@lru_cache(maxsize=256)
def _parsed(code: str) -> tuple[ast.Module | None, str, str]:
    # (tree, syntax error, value error). A cell is parsed by the section's schema when the
    # teacher replies, again when assembly reads the sections back, and by three validators:
    # parse it once. The trees are shared, so nobody may change them.
    try:
        return ast.parse(strip_ipython_syntax(code)), "", ""
    except SyntaxError as exc:
        return None, f"line {exc.lineno}: {exc.msg}", ""
    except ValueError as exc:  # null bytes (a SyntaxError from Python 3.12 on)
        return None, "", str(exc)


def parse_code_cell(code: str) -> ast.Module | None:
    """The AST of a code cell (IPython magics blanked out), or None when it does not parse.

    Shared between callers (cached): read it, never change it.
    """
    return _parsed(code)[0]


@lru_cache(maxsize=256)
def tree_nodes(tree: ast.AST) -> tuple[ast.AST, ...]:
    """Every node of a shared tree (`parse_code_cell`), in `ast.walk`'s order, listed once.

    Several validators walk the same cells; `ast.walk` is a generator over `iter_child_nodes`
    and costs more than the checks themselves. Keyed by the tree object, which nobody changes.
    """
    nodes: list[ast.AST] = [tree]
    position = 0
    while position < len(nodes):
        node = nodes[position]
        position += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                nodes.append(value)
            elif isinstance(value, list):
                nodes.extend(item for item in value if isinstance(item, ast.AST))
    return tuple(nodes)


def python_parse_error(code: str) -> str | None:
    """The SyntaxError of a code cell, in one line, or None when it parses."""
    _, syntax_error, value_error = _parsed(code)
    if value_error:
        raise ValueError(value_error)
    return syntax_error or None


# A package installation inside a step: the manual's setup cell installs the pinned packages, and
# a step that installs more would make the manual depend on whatever the index serves that day.
_INSTALL_LINE = re.compile(r"^\s*[%!]?\s*(?:python3?\s+-m\s+)?(?:pip3?|conda|uv\s+pip)\s+install\b", re.MULTILINE)


# A planned step about installing or setting up: the manual's setup cell does that, and small
# teachers otherwise plan whole manuals of "Install X" steps (seen with a 0.5B teacher).
_SETUP_STEP = re.compile(
    r"\b(?:install\w*|set\s*up|setup|prerequisites?|download\w*|installer|instalar|installieren|einrichten)\b",
    re.IGNORECASE,
)


# Titles of reading, not doing ("Introduction to X", "Model Overview"): a step is something the
# learner does in code, and small teachers cannot write code for a step that is an essay.
_NON_ACTION_STEP = re.compile(
    r"^\s*(?:an?\s+|the\s+)?(?:introduction|intro|overview|model\s+overview|conclusion|summary|about|background|"
    r"what\s+is|citation|license|limitations?)\b",
    re.IGNORECASE,
)


def is_setup_step(title: str) -> bool:
    """True when a step title is about installing or setting up, or is reading rather than doing."""
    return bool(_SETUP_STEP.search(title) or _NON_ACTION_STEP.search(title))


def installs_packages(code: str) -> bool:
    """True when a code cell installs packages (`%pip install`, `!pip install`, bare `pip install`)."""
    return bool(_INSTALL_LINE.search(code))


# What a manual's code may import besides the standard library: the packages its setup cell
# installs (generation/pipeline/notebook/code.py IMPORT_NAMES; a test keeps the two equal).
MANUAL_PACKAGES = frozenset({"openai", "ipywidgets"})


def unavailable_imports(code: str) -> list[str]:
    """Top-level modules a cell imports that a manual's environment does not have, in order."""
    tree = _parsed(code)[0]
    if tree is None:
        return []
    found: list[str] = []
    for node in tree_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in MANUAL_PACKAGES and top not in found:
                found.append(top)
    return found


def is_comment_only(code: str) -> bool:
    """True when a code cell holds nothing but blank lines and comments."""
    return all(not line.strip() or line.strip().startswith("#") for line in code.splitlines())
