"""Sign in through the form, a wrong password, sign out: in real Chromium."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.flows import sign_in
from tests.browser.support import PASSWORD, needs_chromium, url_of

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_the_form_then_sign_out(page, author, page_log):
    page.goto(reverse("portal:home"))
    # Signed out: the page offers to sign in.
    expect(page.get_by_role("link", name=re.compile(r"^sign in$", re.I)).first).to_be_visible()

    sign_in(page, "ada")
    assert urlsplit(page.url).path == reverse("portal:home")  # LOGIN_REDIRECT_URL
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("ada").first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^sign in$", re.I)).first).to_be_visible()
    # Signed out for real: a page behind the login sends us back to the login form.
    page.goto(reverse("accounts:tokens"))
    assert reverse("accounts:login") in page.url
    assert not page_log.errors, page_log.errors
    assert not page_log.csp_violations(), page_log.csp_violations()


def test_a_wrong_password_shows_the_error_next_to_the_form(page, author):
    sign_in(page, "ada", password="not-the-password")
    assert reverse("accounts:login") in page.url
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile(r"correct username and password", re.I))
    # The form points at its error for screen readers, and keeps the username.
    expect(page.locator("form[aria-describedby='form-errors']")).to_have_count(1)
    expect(page.get_by_label(re.compile(r"^Username:?$"))).to_have_value("ada")
    expect(page.get_by_label(re.compile(r"^Password:?$"))).to_have_value("")

    # The right password still works afterwards (one failure does not lock the account).
    sign_in(page, "ada")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_in_returns_to_the_page_that_asked_for_it(page, author):
    page.goto(reverse("accounts:tokens"))
    assert reverse("accounts:login") in page.url and "next=" in page.url
    page.get_by_label(re.compile(r"^Username:?$")).fill("ada")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url_of(reverse("accounts:tokens")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal API tokens")


def test_personal_api_token_is_shown_once_and_can_be_revoked(signed_in_page, author):
    page = signed_in_page(author)
    page.goto(reverse("accounts:tokens"))
    page.get_by_label("Name").fill("CI exports")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("Token", exact=True)
    expect(key).to_be_visible()
    assert len(key.input_value()) > 20
    page.goto(reverse("accounts:tokens"))
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)  # shown once only
    page.get_by_role("button", name="Revoke token CI exports").click()
    expect(page.get_by_role("status").first).to_contain_text("is revoked")
