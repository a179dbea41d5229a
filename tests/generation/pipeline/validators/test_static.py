"""Schema, code cells and placeholders."""

from __future__ import annotations

import pytest

from generation.pipeline.validators import validate_notebook
from tests.generation.pipeline.validators.helpers import codes, demo, index_of, notebook, only


def test_a_notebook_breaking_the_nbformat_schema_is_an_error():
    nb = notebook("md:# Title")
    nb.cells[0]["cell_type"] = "sonnet"
    finding = only(nb, "schema", "nbformat-invalid")
    assert finding.severity == "error" and "nbformat 4 schema" in finding.message


def test_a_valid_notebook_passes_the_schema():
    assert codes(demo(), "schema") == []


def test_an_empty_code_cell_is_an_error_naming_the_cell():
    finding = only(notebook("md:# T", "   \n"), "code", "empty-code-cell")
    assert finding.cell_index == 1 and finding.message.startswith("Cell 1 (code) is empty")


def test_a_comment_only_code_cell_is_an_error():
    finding = only(notebook("# just a comment\n# and another"), "code", "comment-only-code-cell")
    assert "only comments" in finding.message


def test_code_that_does_not_parse_is_an_error_with_its_line():
    finding = only(notebook("x = 1\ndef broken(:\n    pass"), "code", "syntax-error")
    assert "line 2" in finding.message and finding.cell_index == 0


def test_ipython_magics_and_shell_lines_parse():
    assert codes(notebook("%pip install -q x==1\n!ls\nprint(1)", "%%bash\necho hi"), "code") == []


def test_code_of_another_kernel_language_is_not_parsed_as_python():
    nb = notebook("x <- c(1, 2, 3)")
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    assert codes(nb, "code") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TODO: explain the tokenizer", "placeholder-todo"),
        ("The license is TBD.", "placeholder-tbd"),
        ("x = 1  # FIXME", "placeholder-fixme"),
        ("def f():\n    <your code here>", "placeholder-your-code-here"),
        ("Lorem ipsum dolor sit amet.", "placeholder-lorem-ipsum"),
        ("Replace the placeholder with your model.", "placeholder-replace-placeholder"),
        ("The reply was long [truncated]", "placeholder-truncated"),
        ("for x in y:\n    ...", "placeholder-lone-ellipsis"),
    ],
)
def test_placeholder_text_is_an_error_that_quotes_the_line(text, code):
    nb = notebook("md:# Title", "md:" + text if not text.startswith(("x =", "def", "for")) else text)
    finding = only(nb, "placeholders", code)
    assert finding.severity == "error" and finding.cell_index == 1
    assert finding.message.startswith("Cell 1 (") and '"' in finding.message


def test_ordinary_text_has_no_placeholders():
    nb = notebook("md:Replace the prompt with your own question. See the docs, e.g. the guide...", "x = [1, 2]")
    assert codes(nb, "placeholders") == []
    assert codes(demo(), "placeholders") == []


def test_a_placeholder_left_in_a_demo_step_is_found_in_that_step():
    nb = demo()
    index = index_of(nb, "step-code")
    nb.cells[index].source += "\n# TODO: finish this"
    finding = only(nb, "placeholders", "placeholder-todo")
    assert finding.cell_index == index and "step 1" in finding.message


def test_a_malformed_notebook_is_reported_by_the_schema_and_crashes_no_other_validator():
    nb = notebook("md:# Title", "x = 1")
    del nb.cells[0]["source"]
    nb.cells[1]["source"] = ["x = ", "1"]
    report = validate_notebook(nb)
    assert "nbformat-invalid" in [f.code for f in report.findings]
    assert "validator-crashed" not in [f.code for f in report.findings]
