"""The contract's parts: present, in order, holding what they should (ALAIN manuals and foreign ones)."""

from __future__ import annotations

import re

import pytest

from tests.generation.pipeline.validators.helpers import codes, demo, index_of, notebook, only, run


def edit(nb, role: str, old: str, new: str = ""):
    index = index_of(nb, role)
    assert re.search(old, nb.cells[index].source, flags=re.S), old
    nb.cells[index].source = re.sub(old, new, nb.cells[index].source, flags=re.S)
    return index


def drop(nb, *roles: str):
    nb.cells = [c for c in nb.cells if c.metadata.get("alain", {}).get("role") not in roles]
    return nb


def test_the_demo_manual_meets_the_contract():
    assert codes(demo(), "contract") == []
    assert codes(demo("fr"), "contract") == []


# --- front matter ---------------------------------------------------------------------------------


def test_a_front_matter_without_a_title_heading_is_an_error():
    nb = demo()
    edit(nb, "front-matter", r"^# [^\n]*\n", "")
    assert only(nb, "contract", "missing-title").cell_index == 0


def test_a_missing_reading_time_is_an_error():
    nb = demo()
    edit(nb, "front-matter", r"\n- \*\*Target reading time[^\n]*")
    assert "reading time" in only(nb, "contract", "missing-reading-time").message


def test_a_reading_time_out_of_range_is_a_warning():
    nb = demo()
    edit(nb, "front-matter", r"about \d+ minutes", "about 500 minutes")
    assert only(nb, "contract", "reading-time-out-of-range").severity == "warning"


def test_a_reading_time_in_hours_is_understood():
    nb = notebook("md:# T\n\nEstimated reading time: 1 hour")
    assert "missing-reading-time" not in codes(nb, "contract")
    assert "reading-time-out-of-range" not in codes(nb, "contract")


def test_missing_or_too_few_objectives_are_errors():
    nb = demo()
    edit(nb, "front-matter", r"(## Learning objectives\n\n)- [^\n]*\n- [^\n]*\n- [^\n]*\n- [^\n]*\n", r"\1")
    assert "1 item(s)" in only(nb, "contract", "too-few-objectives").message
    nb = demo()
    edit(nb, "front-matter", r"## Learning objectives", "## Things")
    assert only(nb, "contract", "missing-objectives").severity == "error"


def test_audience_difficulty_and_overview_are_warnings():
    nb = notebook("md:# T\n\nTarget reading time: about 20 minutes\n\n## Learning objectives\n\n- a\n- b\n- c")
    found = {f.code: f.severity for f in run(nb, "contract")}
    assert found["missing-audience"] == found["missing-difficulty"] == found["missing-overview"] == "warning"
    assert "missing-objectives" not in found and "missing-reading-time" not in found


# --- setup, provider, seeds -------------------------------------------------------------------------


def test_no_pip_install_is_an_error():
    nb = drop(demo(), "setup-install")
    assert "%pip install" in only(nb, "contract", "missing-install").message


def test_unpinned_packages_are_a_warning_naming_them():
    nb = demo()
    edit(nb, "setup-install", r"openai==[\d.]+", "openai>=1.0")
    finding = only(nb, "contract", "unpinned-install")
    assert "`openai>=1.0`" in finding.message and finding.severity == "warning"


def test_pip_options_and_requirement_files_are_not_mistaken_for_packages():
    nb = notebook("%pip install -q -U --index-url https://x.org/simple -r requirements.txt ipywidgets==8.1.7")
    assert "unpinned-install" not in codes(nb, "contract")


def test_a_setup_without_ipywidgets_or_environment_check_gets_warnings():
    nb = demo()
    edit(nb, "setup-install", r"\n%pip install -q ipywidgets==[\d.]+")
    assert only(nb, "contract", "ipywidgets-not-installed").severity == "warning"
    nb = drop(demo(), "setup-check")
    assert only(nb, "contract", "missing-environment-check").severity == "warning"


def test_a_provider_not_read_from_the_environment_is_an_error():
    nb = drop(demo(), "provider-config")
    finding = only(nb, "contract", "missing-provider")
    assert "os.environ" in finding.message and "never with a key" in finding.message


def test_undocumented_environment_variables_are_a_warning():
    nb = notebook("md:# T", "import os\nKEY = os.environ.get('X')")
    assert only(nb, "contract", "provider-env-undocumented").severity == "warning"
    nb = notebook("md:# T\n\nSet `MY_ENDPOINT` first.", "import os\nKEY = os.environ.get('MY_ENDPOINT')")
    assert "provider-env-undocumented" not in codes(nb, "contract")


def test_missing_seeds_are_an_error_and_any_common_seeding_call_counts():
    assert "random.seed(42)" in only(drop(demo(), "seeds-code"), "contract", "missing-seeds").message
    assert "missing-seeds" not in codes(notebook("import torch\ntorch.manual_seed(0)"), "contract")


# --- exercises and closing parts -------------------------------------------------------------------------


def test_missing_or_too_few_exercises_are_errors():
    assert "2-3 exercises" in only(drop(demo(), "exercises"), "contract", "missing-exercises").message
    nb = demo()
    edit(nb, "exercises", r"\n\n### Exercise 2.*$")
    assert "1 exercise(s)" in only(nb, "contract", "too-few-exercises").message


def test_too_many_exercises_are_a_warning():
    nb = demo()
    index = index_of(nb, "exercises")
    nb.cells[index].source += "\n\n### Exercise 4: More\n\n*Difficulty: easy · Estimated tokens: ~300*\n\nDo more."
    assert only(nb, "contract", "too-many-exercises").severity == "warning"


def test_exercises_without_difficulty_or_token_estimate_are_warnings():
    nb = notebook("md:## Exercises\n\n1. Try a longer prompt.\n2. Compare two models.")
    found = codes(nb, "contract")
    assert "exercise-without-difficulty" in found and "exercise-without-token-estimate" in found
    nb = notebook("md:## Exercises\n\n1. Try it (easy, ~300 tokens).\n2. Compare them (hard, ~1500 tokens).")
    assert not {"exercise-without-difficulty", "exercise-without-token-estimate"} & set(codes(nb, "contract"))


def test_missing_summary_references_and_troubleshooting_are_errors():
    found = codes(drop(demo(), "summary", "references", "troubleshooting"), "contract")
    assert {"missing-summary", "missing-references", "missing-troubleshooting", "missing-next-steps"} <= set(found)


def test_references_without_a_link_are_a_warning():
    nb = demo()
    edit(nb, "references", r"\n\n- .*$", "\n\nThe research stage found no links for this source.")
    assert only(nb, "contract", "references-without-links").severity == "warning"


def test_too_few_troubleshooting_entries_are_a_warning():
    nb = demo()
    edit(nb, "troubleshooting", r"\n- \*\*Problem:\*\* The server.*$")
    assert "1 problem(s)" in only(nb, "contract", "too-few-troubleshooting-entries").message


# --- metadata and order --------------------------------------------------------------------------------


def test_a_missing_metadata_cell_is_an_error():
    assert "alain-metadata" in only(drop(demo(), "metadata"), "contract", "missing-metadata").message


def test_metadata_that_is_not_json_is_an_error():
    nb = demo()
    edit(nb, "metadata", r'"builder_version": 1,', '"builder_version": 1,,')
    assert "does not parse" in only(nb, "contract", "metadata-invalid-json").message


@pytest.mark.parametrize("key", ["tutorial_id", "source", "teacher", "prompt_versions"])
def test_metadata_without_a_required_key_is_an_error(key):
    nb = demo()
    edit(nb, "metadata", rf'\n  "{key}": ', f'\n  "old_{key}": ')
    assert key in only(nb, "contract", "metadata-incomplete").message


def test_a_section_out_of_place_is_the_one_reported():
    nb = demo()
    index = index_of(nb, "summary")
    nb.cells.insert(1, nb.cells.pop(index))
    finding = only(nb, "contract", "section-out-of-order")
    assert finding.cell_index == 1
    assert "The Summary section (Cell 1 (markdown)) is out of place" in finding.message
    assert "after Assessment and before References" in finding.message


def test_a_foreign_notebook_with_the_contracts_headings_meets_it():
    nb = demo()
    for cell in nb.cells:
        cell.metadata = {}
    assert codes(nb, "contract") == ["not-an-alain-notebook"]
