"""The whole static validation: the builder's manuals pass, foreign notebooks are told what they lack."""

from __future__ import annotations

import pytest

from generation.pipeline.validators import FindingData, ValidationReport, validate_notebook
from generation.pipeline.validators.scoring import QUALITY_PASS_MARK, quality_score
from tests.generation.pipeline.validators.helpers import demo, notebook

STATIC_VALIDATORS = {"schema", "code", "placeholders", "structure", "contract", "assessment", "colab", "secrets"}


@pytest.mark.parametrize("language", ["en", "fr", "es", "de"])
def test_the_demo_manual_passes_every_static_validator_above_the_pass_mark(language):
    report = validate_notebook(demo(language))
    assert set(report.durations_ms) == STATIC_VALIDATORS
    assert report.passed, [f.message for f in report.findings]
    assert report.findings == []
    assert report.score >= QUALITY_PASS_MARK and report.meets_pass_mark


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_demo_manual_has_no_colab_and_no_secrets_findings(language):
    report = validate_notebook(demo(language), only=["colab", "secrets"])
    assert [f for f in report.findings if f.validator in ("colab", "secrets")] == []


def test_a_manual_without_alain_metadata_is_judged_by_its_headings():
    nb = demo()
    for cell in nb.cells:
        cell.metadata = {}
    report = validate_notebook(nb)
    assert [f.code for f in report.findings] == ["not-an-alain-notebook"]
    assert report.passed


def test_a_foreign_minimal_notebook_gets_contract_findings_in_plain_words():
    nb = notebook("md:# My experiments", "import math\nprint(math.pi)")
    report = validate_notebook(nb)
    assert not report.passed
    by_code = {f.code: f for f in report.findings}
    assert "No cell carries ALAIN's metadata" in by_code["not-an-alain-notebook"].message
    for code in ("missing-provider", "missing-seeds", "missing-exercises", "missing-summary", "missing-metadata"):
        assert by_code[code].message.startswith("The notebook has no "), code
    assert "Step N: title" in by_code["missing-steps"].message
    assert "multiple-choice" in by_code["missing-assessment"].message
    assert "%pip install" in by_code["missing-install"].message
    for finding in report.findings:
        assert len(finding.message) > 40 and "role" not in finding.message


def test_one_error_keeps_the_score_below_the_pass_mark():
    report = ValidationReport(findings=[FindingData("code", "syntax-error", "error", "x", 3)])
    assert report.score < QUALITY_PASS_MARK and not report.meets_pass_mark


def test_five_kinds_of_warning_still_meet_the_pass_mark_and_six_do_not():
    five = [FindingData("contract", f"w{i}", "warning", "x") for i in range(5)]
    assert quality_score(five) == QUALITY_PASS_MARK
    assert quality_score([*five, FindingData("contract", "w5", "warning", "x")]) < QUALITY_PASS_MARK


def test_a_repeated_finding_costs_more_but_is_capped():
    one = quality_score([FindingData("placeholders", "placeholder-todo", "error", "x", 1)])
    many = quality_score([FindingData("placeholders", "placeholder-todo", "error", "x", i) for i in range(30)])
    assert one == 75 and many == 60
    assert quality_score([FindingData("contract", "not-an-alain-notebook", "info", "x")]) == 100
