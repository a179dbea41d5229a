import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from generation.pipeline.assembly import notebook_to_bytes
from generation.pipeline.autofix import apply_deterministic_fixes
from tests.generation.pipeline.test_assembly import demo_notebook


def test_shell_pip_becomes_the_pip_magic():
    nb = new_notebook(cells=[new_code_cell("!pip install -q requests==2.32.3\nimport requests")])
    fixed, applied = apply_deterministic_fixes(nb)
    assert fixed.cells[0].source == "%pip install -q requests==2.32.3\nimport requests"
    assert [(a.fixer, a.cell_index) for a in applied] == [("shell-pip", 0)]
    assert nb.cells[0].source.startswith("!pip"), "the original notebook is left untouched"


def test_a_literal_secret_becomes_an_environment_lookup():
    canary = "sk-proj-" + "A1b2C3d4" * 5
    nb = new_notebook(cells=[new_code_cell(f'OPENAI_API_KEY = "{canary}"\nclient = make(OPENAI_API_KEY)')])
    fixed, applied = apply_deterministic_fixes(nb)
    source = fixed.cells[0].source
    assert canary not in source
    assert 'OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")' in source
    assert source.startswith("import os\n")
    assert applied[0].fixer == "secret-literal"
    assert canary not in applied[0].description


def test_a_missing_next_section_hint_is_put_back_with_the_next_steps_title():
    nb = demo_notebook(max_sections=3)
    wrap_ups = [i for i, c in enumerate(nb.cells) if c.metadata.get("alain", {}).get("role") == "step-wrap-up"]
    first = wrap_ups[0]
    original = nb.cells[first].source
    nb.cells[first].source = original.split("**Next section:**")[0].rstrip()
    fixed, applied = apply_deterministic_fixes(nb)
    assert [(a.fixer, a.cell_index) for a in applied] == [("next-section-hint", first)]
    assert (
        fixed.cells[first].source.split("**Next section:**")[1].strip()
        == original.split("**Next section:**")[1].strip()
    )


def test_the_builders_output_needs_no_fix_and_fixing_is_idempotent():
    nb = demo_notebook()
    fixed, applied = apply_deterministic_fixes(nb)
    assert applied == []
    assert notebook_to_bytes(fixed) == notebook_to_bytes(nb)
    broken = new_notebook(cells=[new_markdown_cell("# x"), new_code_cell("!pip install x==1")])
    once, _ = apply_deterministic_fixes(broken)
    twice, again = apply_deterministic_fixes(once)
    assert again == [] and nbformat.writes(once) == nbformat.writes(twice)
