"""The shape of a manual: markdown share, `Step N` sections numbered 1..N, and what each step holds."""

from __future__ import annotations

import re

import nbformat

from generation.pipeline.validators import FindingData, validator
from generation.pipeline.validators.layout import NEXT_SECTION, Layout, Step, cell_range, headings, locate, readable
from prompts import limits
from prompts.content_rules import is_comment_only

NAME = "structure"
# Fewer words of prose than this and a step is code without an explanation.
STEP_EXPLANATION_MIN_WORDS = limits.STEP_EXPLANATION_MIN_WORDS
_WORD = re.compile(r"[^\W\d_]{2,}")


def finding(code: str, severity: str, message: str, cell_index: int | None = None, **kw: bool) -> FindingData:
    return FindingData(NAME, code, severity, message, cell_index, **kw)


@validator(NAME)
def check_structure(nb: nbformat.NotebookNode) -> list[FindingData]:
    nb = readable(nb)
    layout = locate(nb)
    return [*_markdown_share(nb), *_step_numbering(layout), *_step_contents(layout)]


def _markdown_share(nb: nbformat.NotebookNode) -> list[FindingData]:
    cells = nb.get("cells", [])
    markdown = sum(1 for c in cells if c.cell_type == "markdown")
    code = sum(1 for c in cells if c.cell_type == "code")
    if not markdown + code:
        return [finding("no-cells", "error", "The notebook has no markdown or code cells at all.")]
    share = markdown / (markdown + code)
    if limits.MARKDOWN_SHARE_MIN <= share <= limits.MARKDOWN_SHARE_MAX:
        return []
    advice = (
        "Explain the code: add markdown before code cells or split long code cells' comments into prose."
        if share < limits.MARKDOWN_SHARE_MIN
        else "Too much prose for a hands-on manual: merge small markdown cells or add runnable examples."
    )
    return [
        finding(
            "markdown-share",
            "error",
            f"Markdown cells are {share:.0%} of the notebook ({markdown} markdown, {code} code); the contract wants "
            f"{limits.MARKDOWN_SHARE_MIN:.0%}-{limits.MARKDOWN_SHARE_MAX:.0%}. {advice}",
        )
    ]


def _step_numbering(layout: Layout) -> list[FindingData]:
    found = layout.step_headings
    if not found:
        return [
            finding(
                "missing-steps",
                "error",
                f"No `Step N: title` headings found. A manual teaches in {limits.STEPS_MIN}-{limits.STEPS_MAX} "
                "numbered steps, each a `## Step N: <title>` markdown heading followed by runnable code.",
            )
        ]
    findings = []
    for position, (index, number) in enumerate(found, start=1):
        if number != position:
            shown = ", ".join(str(n) for _, n in found)
            findings.append(
                finding(
                    "step-numbering",
                    "error",
                    f"Step headings are numbered {shown}: the heading in cell {index} says Step {number} where "
                    f"Step {position} belongs. Number the steps 1..{len(found)} in the order they appear.",
                    index,
                )
            )
            break
    if len(found) < limits.STEPS_MIN:
        findings.append(
            finding(
                "too-few-steps",
                "error",
                f"The manual has {len(found)} step(s); the contract wants at least {limits.STEPS_MIN}.",
                found[0][0],
            )
        )
    elif len(found) > limits.STEPS_MAX:
        findings.append(
            finding(
                "too-many-steps",
                "warning",
                f"The manual has {len(found)} steps; the contract allows at most {limits.STEPS_MAX}. "
                "Merge related steps or move the extra ones into another manual.",
                found[limits.STEPS_MAX][0],
            )
        )
    return findings


def _prose_words(source: str) -> int:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    return len(_WORD.findall("\n".join(lines)))


def _step_contents(layout: Layout) -> list[FindingData]:
    cells = layout.nb.get("cells", [])
    findings = []
    for position, step in enumerate(layout.steps, start=1):
        name = f"Step {step.number if step.number is not None else position}"
        where = cell_range(step.cells)
        code = [i for i in step.cells if cells[i].cell_type == "code" and not is_comment_only(cells[i].source)]
        markdown = [i for i in step.cells if cells[i].cell_type == "markdown"]
        if not code:
            findings.append(
                finding(
                    "step-without-code",
                    "error",
                    f"{name} ({where}) has no code cell: every step needs runnable code that shows what it explains.",
                    step.cells[0],
                )
            )
        words = sum(_prose_words(cells[i].source) for i in markdown)
        if words < STEP_EXPLANATION_MIN_WORDS:
            findings.append(
                finding(
                    "step-without-explanation",
                    "warning",
                    f"{name} ({where}) explains itself in {words} word(s) of prose: say what the code does and "
                    "why before showing it.",
                    step.cells[0],
                )
            )
        findings += _next_hint(layout, step, name, markdown)
    return findings


def _next_hint(layout: Layout, step: Step, name: str, markdown: list[int]) -> list[FindingData]:
    cells = layout.nb.get("cells", [])
    if not markdown or any(NEXT_SECTION.search(cells[i].source) for i in markdown):
        return []
    last = markdown[-1]
    fix = (
        " It can be added automatically."
        if layout.built_by_alain
        else " Add a closing line such as `**Next section:** Step 3: ...`."
    )
    # A step heading in its own last cell (no wrap-up) still needs the hint after the code.
    if len(markdown) == 1 and headings(cells[last].source):
        last = step.cells[-1]
    return [
        finding(
            "missing-next-section-hint",
            "warning",
            f"{name} ends without a 'Next section' hint telling the reader where to go next.{fix}",
            last,
            fixable=layout.built_by_alain,
        )
    ]
