"""Markdown share, step numbering, and what each step holds."""

from __future__ import annotations

import re

from prompts import limits
from tests.generation.pipeline.validators.helpers import codes, demo, notebook, only

PROSE = "This step explains what the code below does, why it matters and what to look for in its output."


def steps(count: int, *, numbers: list[int] | None = None) -> list[str]:
    cells = []
    for position, number in enumerate(numbers or range(1, count + 1), start=1):
        cells += [
            f"md:## Step {number}: Part {position}\n\n{PROSE}",
            f"x{position} = {position}",
            "md:**Next section:** on",
        ]
    return cells


def test_too_little_markdown_is_an_error_with_the_counts():
    finding = only(notebook("md:# T", "a = 1", "b = 2", "c = 3"), "structure", "markdown-share")
    assert "25%" in finding.message and "1 markdown, 3 code" in finding.message and "40%-70%" in finding.message


def test_too_much_markdown_is_an_error():
    finding = only(notebook("md:# T", "md:a", "md:b", "md:c", "x = 1"), "structure", "markdown-share")
    assert "80%" in finding.message


def test_a_share_inside_the_limits_passes():
    assert "markdown-share" not in codes(notebook("md:# T", "md:a", "x = 1", "y = 2"), "structure")
    assert codes(demo(), "structure") == []


def test_steps_out_of_order_are_an_error_naming_the_wrong_heading():
    nb = notebook("md:# T", *steps(3, numbers=[1, 3, 2]))
    finding = only(nb, "structure", "step-numbering")
    assert "numbered 1, 3, 2" in finding.message and "Step 3 where Step 2 belongs" in finding.message
    assert finding.cell_index == 4


def test_steps_numbered_in_order_pass_in_every_builder_language():
    cells = ["md:# T", "md:## Step 1: A\n\n" + PROSE, "a = 1", "md:## Étape 2 : B\n\n" + PROSE, "b = 2"]
    cells += ["md:## Paso 3: C\n\n" + PROSE, "c = 3", "md:## Schritt 4: D\n\n" + PROSE, "d = 4", "md:Next section: end"]
    assert "step-numbering" not in codes(notebook(*cells), "structure")


def test_a_notebook_without_steps_is_told_how_to_write_them():
    assert "`## Step N: <title>`" in only(notebook("md:# T", "x = 1"), "structure", "missing-steps").message


def test_too_few_and_too_many_steps_are_reported():
    assert "too-few-steps" in codes(notebook("md:# T", *steps(limits.STEPS_MIN - 1)), "structure")
    many = only(notebook("md:# T", *steps(limits.STEPS_MAX + 1)), "structure", "too-many-steps")
    assert many.severity == "warning"
    assert not {"too-few-steps", "too-many-steps"} & set(
        codes(notebook("md:# T", *steps(limits.STEPS_MIN)), "structure")
    )


def test_teacher_headings_below_level_three_do_not_count_as_steps():
    nb = notebook("md:# T", *steps(3))
    nb.cells[1].source += "\n\n#### Step 9: not a step"
    assert "step-numbering" not in codes(nb, "structure")


def test_a_step_without_code_is_an_error():
    nb = demo()
    step_two = [i for i, c in enumerate(nb.cells) if c.metadata["alain"].get("step") == 2]
    for index in step_two:
        if nb.cells[index].cell_type == "code":
            nb.cells[index].cell_type = "markdown"
            nb.cells[index].pop("outputs")
            nb.cells[index].pop("execution_count")
    finding = only(nb, "structure", "step-without-code")
    assert finding.message.startswith("Step 2 (cells ") and finding.cell_index == step_two[0]


def test_a_step_with_almost_no_prose_gets_a_warning():
    nb = notebook("md:# T", "md:## Step 1: A", "a = 1", "md:Next section: B", *steps(2)[0:0])
    assert only(nb, "structure", "step-without-explanation").severity == "warning"


def test_a_missing_next_section_hint_is_fixable_in_alain_manuals():
    nb = demo()
    wrap = next(i for i, c in enumerate(nb.cells) if c.metadata["alain"]["role"] == "step-wrap-up")
    nb.cells[wrap].source = re.sub(r"\n\n\*\*Next section:\*\*.*$", "", nb.cells[wrap].source, flags=re.S)
    finding = only(nb, "structure", "missing-next-section-hint")
    assert finding.fixable and finding.cell_index == wrap and finding.message.startswith("Step 1 ends")


def test_a_missing_hint_in_a_foreign_notebook_is_not_fixable_but_explained():
    nb = notebook("md:# T", f"md:## Step 1: A\n\n{PROSE}", "a = 1")
    finding = only(nb, "structure", "missing-next-section-hint")
    assert not finding.fixable and "**Next section:**" in finding.message
