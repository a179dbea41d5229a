import io
import json

import nbformat
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests.generation.pipeline.test_assembly import demo_notebook


def validate(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("alain", "validate", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args):
    with pytest.raises(CommandError) as info:
        validate(*args)
    return info.value.returncode, str(info.value)


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.ipynb"
    nbformat.write(demo_notebook(), path)
    return path


@pytest.fixture
def broken(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# A foreign notebook"),
            new_code_cell("!pip install -q requests==2.32.3"),
            new_code_cell("def broken(:\n    pass"),
        ]
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_good_manual_passes_with_exit_0(good):
    _, err = validate(good)
    assert "good.ipynb passed validation: 0 error(s)" in err


def test_a_broken_notebook_fails_with_exit_5_and_lists_its_findings_by_cell(broken, tmp_path):
    code, message = failing(broken, "--report", tmp_path / "validation.md")
    assert code == 5
    assert "broken.ipynb failed validation" in message
    report = (tmp_path / "validation.md").read_text()
    assert "FAILED" in report and "Cell 2 (code)" in report and "does not parse" in report


def test_the_report_masks_a_secret_in_a_cell_label(tmp_path):
    key = "sk-proj-" + "Ab3" * 12
    path = tmp_path / "leaky.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Leaky"), new_code_cell(f'api_key = "{key}"')]), path)
    failing(path, "--report", tmp_path / "validation.md")
    report = (tmp_path / "validation.md").read_text()
    assert "Cell 1 (code): api_key = " in report and "secrets/" in report
    assert key not in report and key[:20] not in report


def test_json_output_carries_the_findings(broken):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("alain", "validate", str(broken), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["exit_code"] == 5
    assert any(f["code"] == "syntax-error" and f["cell_index"] == 2 for f in data["report"]["findings"])


def test_fix_writes_a_fixed_copy_and_leaves_the_original_alone(broken):
    before = broken.read_bytes()
    with pytest.raises(CommandError) as info:
        validate(broken, "--fix")
    assert "1 fix(es) applied" in str(info.value)
    fixed = nbformat.read(broken.with_name("broken.fixed.ipynb"), as_version=4)
    assert fixed.cells[1].source == "%pip install -q requests==2.32.3"
    assert broken.read_bytes() == before


def test_fix_refuses_to_overwrite_its_input(broken):
    code, message = failing(broken, "--fix", "--out", broken)
    assert code == 2 and "must not overwrite" in message


@pytest.mark.parametrize("content", [b"not json at all", b'{"cells": 3}', b"\x00\x01binary"])
def test_what_is_not_a_notebook_exits_3(tmp_path, content):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    code, message = failing(path)
    assert code == 3 and message.startswith("Cannot read the notebook:")


def test_a_missing_file_exits_3(tmp_path):
    code, message = failing(tmp_path / "missing.ipynb")
    assert code == 3 and "does not exist" in message
