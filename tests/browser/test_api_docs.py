"""/api/docs: Swagger UI, served from django-ninja's own static files, renders the API's schema
in Chromium under the portal's Content Security Policy (no inline script or style, no CDN).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


def test_api_docs_show_every_operation_under_the_csp(page, page_log, live_server) -> None:
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ALAIN API")
    # The operations, from /api/openapi.json, grouped by tag.
    for path in ("/api/generate/notebook", "/api/runs", "/api/runs/{ref}", "/api/runs/{ref}/artifacts/{kind}"):
        expect(page.locator(".opblock-summary-path", has_text=re.compile(f"^{re.escape(path)}$")).first).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="runs").first).to_be_visible()

    # An operation opens on its parameters and its documented answers, errors included.
    page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/runs/\{ref\}$")).first.click()
    operation = page.locator(".opblock.is-open").first
    expect(operation.locator(".parameters-container")).to_contain_text("ref")
    responses = operation.locator(".responses-wrapper")
    expect(responses).to_contain_text("404")
    expect(responses.locator("tr.response[data-code='404']")).to_contain_text('"code"')

    # The Bearer scheme is offered (the Authorize dialog), and nothing was blocked or broke.
    expect(page.locator(".auth-wrapper .authorize")).to_be_visible()
    assert page_log.csp_violations() == [], page_log.csp_violations()
    assert page_log.errors == [], page_log.errors
    assert page_log.console_errors() == [], page_log.console_errors()
