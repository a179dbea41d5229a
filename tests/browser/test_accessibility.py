"""axe-core (WCAG 2.1 A and AA) on every portal page, signed out and signed in: 0 violations.

Each page is also checked for Content Security Policy violations and script errors: the pages
must work under the policy they are served with.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.flows import sign_in
from tests.browser.support import PASSWORD, PageLog, axe_violations, format_violations, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


def check_page(page, page_log: PageLog) -> None:
    problems = []
    violations = axe_violations(page)
    if violations:
        problems.append(format_violations(page.url, violations))
    if page_log.csp_violations():
        problems.append(f"CSP violations on {page.url}: {page_log.csp_violations()}")
    if page_log.errors:
        problems.append(f"script errors on {page.url}: {page_log.errors}")
    assert not problems, "\n".join(problems)


# -- signed out ------------------------------------------------------------------------------


def _wrong_password(page) -> None:
    sign_in(page, "ada", password="not-the-password")
    expect(page.get_by_role("alert")).to_be_visible()


def _reset_requested(page) -> None:
    page.get_by_label(re.compile(r"^Email")).fill("ada@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")


def _locked_out(page) -> None:
    from django.conf import settings

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(page, "ada", password="not-the-password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-ins")


SIGNED_OUT: dict[str, tuple[str, Callable | None]] = {
    "home": ("/", None),
    "login": ("/accounts/login/", None),
    "login-wrong-password": ("/accounts/login/", _wrong_password),
    "login-locked-out": ("/accounts/login/", _locked_out),
    "password-reset": ("/accounts/password/reset/", None),
    "password-reset-sent": ("/accounts/password/reset/", _reset_requested),
    "password-reset-bad-link": ("/accounts/password/reset/MQ/bad-token/", None),
}


@pytest.mark.parametrize("name", list(SIGNED_OUT))
def test_signed_out_pages_have_no_wcag_violations(name, page, page_log, author):
    path, action = SIGNED_OUT[name]
    page.goto(path)
    if action:
        action(page)
    check_page(page, page_log)


# -- signed in -------------------------------------------------------------------------------


def _generate_errors(page) -> None:
    page.get_by_role("radio", name="Pasted text", exact=True).check()
    page.get_by_role("button", name="Queue the manual").click()
    expect(page.locator("#error-summary")).to_be_visible()


def _token_created(page) -> None:
    page.get_by_label(re.compile(r"^Name")).fill("CI exports")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_label("Token", exact=True)).to_be_visible()


def _password_change_errors(page) -> None:
    page.get_by_label(re.compile(r"^Old password")).fill("wrong")
    page.get_by_label(re.compile(r"^New password:?$")).fill("short")
    page.get_by_label(re.compile(r"^New password confirmation")).fill("other")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def _password_changed(page) -> None:
    page.get_by_label(re.compile(r"^Old password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^New password:?$")).fill("An0ther-long-passphrase!")
    page.get_by_label(re.compile(r"^New password confirmation")).fill("An0ther-long-passphrase!")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")


SIGNED_IN: dict[str, tuple[str, Callable | None]] = {
    "home": ("/", None),
    "generate": ("/generate/", None),
    "generate-errors": ("/generate/", _generate_errors),
    "runs-mine": ("/runs/?scope=mine", None),
    "runs-team": ("/runs/?scope=team", None),
    "runs-filtered-empty": ("/runs/?scope=mine&q=nothing-matches&status=failed", None),
    "run": ("/runs/{run}/", None),
    "run-failed": ("/runs/{failed}/", None),
    "notebook": ("/runs/{run}/v1/", None),
    "tokens": ("/accounts/tokens/", None),
    "reports": ("/reports/", None),
    "reports-bad-window": ("/reports/?since=forever", None),
    "tokens-new-token": ("/accounts/tokens/", _token_created),
    "password-change": ("/accounts/password/change/", None),
    "password-change-errors": ("/accounts/password/change/", _password_change_errors),
    "password-changed": ("/accounts/password/change/", _password_changed),
}


@pytest.mark.parametrize("name", list(SIGNED_IN))
def test_signed_in_pages_have_no_wcag_violations(name, signed_in_page, author, finished_run, failed_run, page_log):
    page = signed_in_page(author)
    path, action = SIGNED_IN[name]
    page.goto(path.format(run=finished_run.tutorial_id, failed=failed_run.tutorial_id))
    assert page.url.endswith(path.format(run=finished_run.tutorial_id, failed=failed_run.tutorial_id))
    if action:
        action(page)
    check_page(page, page_log)


def test_the_admin_runs_list_and_the_forbidden_page_have_no_wcag_violations(
    signed_in_page, portal_admin, reviewer, finished_run, page_log, browser, live_server
):
    # An admin sees every run ("All runs" scope).
    page = signed_in_page(portal_admin)
    page.goto("/runs/?scope=all")
    expect(page.get_by_role("link", name=finished_run.subject_model)).to_be_visible()
    check_page(page, page_log)

    # A reviewer may not generate: the page says why, accessibly.
    context = browser.new_context(base_url=live_server.url)
    other = context.new_page()
    other_log = PageLog()
    other.on("console", other_log.on_console)
    other.on("pageerror", other_log.on_page_error)
    try:
        sign_in(other, reviewer.username)
        response = other.goto(reverse("portal:generate"))
        assert response is not None and response.status == 403
        check_page(other, other_log)
    finally:
        context.close()


# -- beyond axe: reflow, status messages, the policy header ----------------------------------


@pytest.mark.parametrize("name", ["home", "generate", "runs-mine", "run", "run-failed", "notebook", "tokens"])
def test_pages_reflow_at_320_css_pixels(name, signed_in_page, author, finished_run, failed_run):
    """WCAG 1.4.10 Reflow (AA), which axe does not test: no page-wide horizontal scrolling at 320 px.

    Tables and code may scroll inside their own box (the exception for two-dimensional content).
    """
    page = signed_in_page(author)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(SIGNED_IN[name][0].format(run=finished_run.tutorial_id, failed=failed_run.tutorial_id))
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                          && !el.closest('.table-wrap, pre, .highlight, .cell__outputs'))
            .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, overflow
    assert overflow == [], overflow


def test_every_page_is_served_with_a_strict_content_security_policy(page, author, signed_in_page, finished_run):
    signed_in_page(author)
    for path in (
        "/",
        "/generate/",
        "/runs/",
        f"/runs/{finished_run.tutorial_id}/",
        f"/runs/{finished_run.tutorial_id}/v1/",
    ):
        response = page.goto(path)
        assert response is not None and response.ok, path
        policy = response.headers.get("content-security-policy", "")
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives.get("script-src") == "'self'", (path, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
        assert directives.get("object-src") == "'none'", (path, policy)
        assert response.headers.get("x-frame-options") == "DENY", path


def test_run_progress_is_announced_without_moving_focus(signed_in_page, author, pipeline):
    """WCAG 4.1.3 Status messages (AA): the run's status, updated by polling, is in a live region.

    A screen reader announces changes only inside a live region (role=status/alert/log/progressbar
    or aria-live) that was already in the page before the change, so the region must survive the
    htmx swaps; the final status ("Succeeded", "Failed ...") must be announced.
    """
    from tests.browser.flows import CARD, fill_generate_form, follow_run_to_the_end, submit_generate_form

    page = signed_in_page(author)
    fill_generate_form(page, "text", CARD)
    submit_generate_form(page)
    live = "[role=status], [role=alert], [role=log], [aria-live=polite], [aria-live=assertive]"
    marked = page.evaluate(
        """(selector) => {
            const regions = [...document.querySelectorAll(selector)]
              .filter(el => el.textContent.includes('Queued') && !el.closest('ul.messages'));
            regions.forEach(el => { el.dataset.testMark = 'before'; });
            return regions.length;
        }""",
        live,
    )
    assert marked, "the run's status ('Queued') is not inside any live region (WCAG 4.1.3)"
    follow_run_to_the_end(page, pipeline)
    announced = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .some(el => el.dataset.testMark === 'before' && el.textContent.includes('Succeeded'))""",
        live,
    )
    assert announced, "the live region holding the status was replaced by the poll: the end is never announced"
