"""Keyboard only: the skip link comes first, and a manual can be generated without a mouse."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from generation.models import RunStatus
from tests.browser.flows import (
    CARD,
    RUN_PAGE,
    fill_generate_form,
    follow_run_to_the_end,
    sign_in,
    submit_generate_form,
)
from tests.browser.support import PASSWORD, needs_chromium, url_of

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

MAX_TABS = 60


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || '', name: el.getAttribute('name') || '',
    id: el.id, text: (el.innerText || el.value || '').trim().slice(0, 80), label: label.trim(),
    checked: !!el.checked,
    indicator: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none',
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page, matches, *, what: str) -> dict:
    """Press Tab until the focused element matches; every element passed on the way must show focus."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = focused(page)
        assert element is not None, f"Tab left the page before reaching {what}; went through {seen}"
        seen.append(element["label"] or element["text"] or element["name"] or element["tag"])
        assert element["indicator"], f"no visible focus indicator (WCAG 2.4.7) on {element}"
        if matches(element):
            return element
    pytest.fail(f"{what} not reached in {MAX_TABS} Tab presses; focus went through {seen}")


def test_tab_reaches_the_skip_link_first_and_enter_moves_to_main(signed_in_page, author, finished_run):
    page = signed_in_page(author)
    paths = [
        reverse("portal:home"),
        reverse("portal:generate"),
        reverse("portal:runs"),
        reverse("portal:run", args=[finished_run.tutorial_id]),
        reverse("portal:notebook", args=[finished_run.tutorial_id, 1]),
        reverse("accounts:tokens"),
        reverse("accounts:password_reset"),
    ]
    for path in paths:
        page.goto(path)
        page.keyboard.press("Tab")
        first = focused(page)
        assert first is not None and first["tag"] == "a" and first["text"] == "Skip to main content", first
        expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()  # shown on focus
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
        # The next Tab continues inside main, not back at the header.
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_sign_in_and_generate_a_manual_with_the_keyboard_only(page, author, pipeline, page_log):
    page.goto(reverse("accounts:login"))
    # Django's login form puts the focus in the username field (autofocus).
    assert focused(page)["name"] == "username"
    page.keyboard.type(author.username)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url_of(reverse("portal:home")))

    # From the top of the home page to the Generate link of the main navigation.
    tab_to(page, lambda el: el["tag"] == "a" and el["text"] == "Generate", what="the Generate link")
    page.keyboard.press("Enter")
    page.wait_for_url(url_of(reverse("portal:generate")))

    # Source: the radio group is one Tab stop; arrows choose "Pasted text", which shows its textarea.
    radio = tab_to(page, lambda el: el["name"] == "source_kind", what="the source radios")
    assert radio["checked"] and "Hugging Face" in radio["label"], radio
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Pasted text", exact=True)).to_be_checked()
    tab_to(page, lambda el: el["name"] == "source_text", what="the card textarea")
    page.keyboard.insert_text(CARD)

    tab_to(page, lambda el: el["name"] == "difficulty", what="the difficulty")
    page.keyboard.press("ArrowDown")  # Beginner -> Intermediate
    expect(page.get_by_label(re.compile(r"^Difficulty"))).to_have_value("intermediate")

    tab_to(page, lambda el: el["name"] == "max_sections", what="maximum sections")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("3")

    box = tab_to(page, lambda el: el["name"] == "execute", what="the execute checkbox")
    assert box["checked"], box
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name=re.compile(r"^Execute the notebook"))).not_to_be_checked()

    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "Queue the manual", what="the submit button")
    page.keyboard.press("Enter")
    page.wait_for_url(RUN_PAGE)

    run = follow_run_to_the_end(page, pipeline)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert (run.source_kind, run.difficulty, run.max_sections, run.execute) == ("text", "intermediate", 3, False)

    # And on to the notebook viewer, still without a mouse.
    tab_to(page, lambda el: el["id"] == "open-notebook", what="the notebook viewer link")
    page.keyboard.press("Enter")
    page.wait_for_url(url_of(reverse("portal:notebook", args=[run.tutorial_id, 1])))
    assert not page_log.csp_violations(), page_log.csp_violations()


def test_after_a_refused_submit_the_error_summary_leads_to_the_field(page, author, pipeline):
    sign_in(page, author.username)
    page.goto(reverse("portal:generate"))
    radio = tab_to(page, lambda el: el["name"] == "source_kind", what="the source radios")
    assert radio["checked"]
    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "Queue the manual", what="the submit button")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert pipeline.queued == []
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    link = focused(page)
    assert link["tag"] == "a" and link["text"].startswith("Hugging Face model"), link
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name=re.compile(r"^Hugging Face model"))).to_be_focused()


def test_focus_survives_the_run_page_polling_and_cancel_works_by_keyboard(signed_in_page, author, pipeline):
    """A keyboard user on a button of the live part must not lose focus each time it is polled."""
    page = signed_in_page(author)
    fill_generate_form(page, "text", CARD)
    submit_generate_form(page)
    tab_to(page, lambda el: el["id"] == "run-cancel-button", what="the Cancel run button")
    for _ in range(2):  # two polls replace the live part (the run stays queued: nobody runs it)
        with page.expect_response(lambda response: response.url.rstrip("/").endswith("/progress")):
            pass
        page.wait_for_timeout(100)  # let htmx settle the swap
        element = focused(page)
        assert element is not None and element["id"] == "run-cancel-button", f"focus lost after a poll: {element}"
    page.keyboard.press("Enter")
    page.wait_for_url(RUN_PAGE)
    expect(page.locator("#run-live .run-status")).to_contain_text("Cancelled")
    expect(page.get_by_role("status").first).to_contain_text("is cancelled")
