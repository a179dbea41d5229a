"""Generate from each kind of source with the demo teacher, follow the run, preview, view, download."""

from __future__ import annotations

import re

import nbformat
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from generation.models import Outline, Run, RunStatus
from tests.browser.flows import CARD, fill_generate_form, follow_run_to_the_end, submit_generate_form
from tests.browser.support import needs_chromium, url_of

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


def check_preview(page, run: Run) -> dict:
    """The preview shows the outline's title, its objectives and the first step."""
    plan = Outline.objects.get(run=run).data
    preview = page.locator("section[aria-labelledby='preview-heading']")
    expect(preview.locator(".preview-title")).to_have_text(plan["title"])
    expect(preview.get_by_role("heading", name="Learning objectives")).to_be_visible()
    for objective in plan["objectives"]:
        expect(preview.get_by_role("listitem").filter(has_text=objective).first).to_be_visible()
    first = plan["steps"][0]["title"]
    expect(preview.get_by_role("heading", name=f"First step: {first}")).to_be_visible()
    expect(preview).to_contain_text("Card quality")
    expect(preview).to_contain_text("Model maker")
    return plan


def check_stage_table(page) -> None:
    rows = page.locator("table.stage-table tbody tr")
    expect(rows).to_have_count(8)
    for index in range(8):
        expect(rows.nth(index).locator("td").first).to_have_text("Done")
        expect(rows.nth(index).locator("td").nth(1)).not_to_have_text("—")  # a timing per stage


def download_notebook(page, tmp_path) -> nbformat.NotebookNode:
    link = page.locator("ul.downloads").get_by_role("link", name="notebook.ipynb", exact=True)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename.endswith("-v1-notebook.ipynb"), download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    notebook = nbformat.read(target, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells, "the downloaded notebook has no cells"
    return notebook


def check_notebook_viewer(page, run: Run, plan: dict) -> None:
    page.locator("#open-notebook").click()
    page.wait_for_url(url_of(reverse("portal:notebook", args=[run.tutorial_id, 1])))
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1")
    cells = page.locator("ol.cells > li.cell")
    assert cells.count() > 5
    # Markdown is rendered (the title is a heading), code is highlighted by Pygments.
    expect(page.locator(".cell--markdown").get_by_role("heading", name=plan["title"]).first).to_be_visible()
    expect(page.locator(".cell--code .highlight").first).to_be_visible()


def test_generate_from_pasted_text_with_execution(signed_in_page, author, pipeline, page_log, tmp_path):
    page = signed_in_page(author)
    fill_generate_form(page, "text", CARD, execute=True, team="blue-team")
    submit_generate_form(page)
    expect(page.get_by_role("status").first).to_contain_text("is queued")
    run = follow_run_to_the_end(page, pipeline)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert (run.source_kind, run.execute, run.max_sections, run.team.name) == ("text", True, 3, "blue-team")
    assert run.created_by == author

    check_stage_table(page)
    plan = check_preview(page, run)
    download_notebook(page, tmp_path)
    # Executed in the sandbox (bubblewrap), and passed.
    version = run.versions.get(number=1)
    assert version.validation_summary.get("executed") is True, version.validation_summary
    check_notebook_viewer(page, run, plan)
    expect(page.locator("dl.facts")).to_contain_text("passed")
    assert not page_log.errors, page_log.errors
    assert not page_log.csp_violations(), page_log.csp_violations()


def test_generate_from_an_uploaded_file(signed_in_page, author, pipeline, page_log, tmp_path):
    card = tmp_path / "tiny-browser-model.md"
    card.write_text(CARD, encoding="utf-8")
    page = signed_in_page(author)
    fill_generate_form(page, "file", str(card))
    submit_generate_form(page)
    run = follow_run_to_the_end(page, pipeline)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert (run.source_kind, run.source_ref) == ("file", "tiny-browser-model.md")
    expect(page.get_by_role("heading", level=1)).to_have_text("tiny-browser-model")

    plan = check_preview(page, run)
    download_notebook(page, tmp_path)
    check_notebook_viewer(page, run, plan)
    assert not page_log.errors, page_log.errors
    assert not page_log.csp_violations(), page_log.csp_violations()


def test_generate_from_a_hugging_face_id(signed_in_page, author, pipeline, fake_hub, page_log, tmp_path):
    page = signed_in_page(author)
    fill_generate_form(page, "hf", "facebook/opt-125m")
    submit_generate_form(page)
    run = follow_run_to_the_end(page, pipeline)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert (run.source_kind, run.source_ref) == ("hf", "facebook/opt-125m")
    assert fake_hub.count("/api/models/facebook/opt-125m") >= 1, fake_hub.paths()

    plan = check_preview(page, run)
    preview = page.locator("section[aria-labelledby='preview-heading']")
    expect(preview.locator("dt", has_text="Model maker").locator("xpath=following-sibling::dd")).to_have_text(
        "facebook"
    )
    download_notebook(page, tmp_path)
    check_notebook_viewer(page, run, plan)
    assert not page_log.errors, page_log.errors


def test_a_hugging_face_model_the_hub_does_not_know_fails_in_research_saying_what_to_do(
    signed_in_page, author, pipeline, fake_hub
):
    page = signed_in_page(author)
    fill_generate_form(page, "hf", "acme/no-such-model")
    submit_generate_form(page)
    run = follow_run_to_the_end(page, pipeline, final="Failed")
    assert (run.status, run.error_stage) == (RunStatus.FAILED, "research")
    banner = page.locator("#run-error")
    expect(banner.get_by_role("heading")).to_contain_text("Failed in stage research")
    expect(banner).to_contain_text("What to do next")
    expect(banner.locator(".error-message")).not_to_be_empty()
    expect(page.get_by_role("button", name="Retry from the failed stage")).to_be_visible()
    rows = page.locator("table.stage-table tbody tr")
    expect(rows.first.locator("td").first).to_have_text("Failed")


def test_the_generate_form_shows_errors_next_to_the_fields(signed_in_page, author, pipeline):
    page = signed_in_page(author)
    fill_generate_form(page, "text", "")
    page.get_by_label(re.compile(r"^Language")).fill("not a language")
    page.get_by_role("button", name="Queue the manual").click()
    page.wait_for_load_state()
    assert pipeline.queued == []
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()  # portal.js takes keyboard users to the list of problems
    expect(summary).to_contain_text("please correct 2 problems")
    text = page.get_by_label(re.compile(r"^Model card text"))
    expect(text).to_have_attribute("aria-invalid", "true")
    error_id = text.get_attribute("aria-describedby") or ""
    described = " ".join(page.locator(f"#{ident}").inner_text() for ident in error_id.split() if ident)
    assert "Paste the model card text" in described, described
    expect(page.get_by_label(re.compile(r"^Language"))).to_have_attribute("aria-invalid", "true")
