"""The home page: public, explains ALAIN, shows the providers' state and never a key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generation.models import STAGES
from generation.views.pages import STAGE_TITLES
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_is_public_and_lists_the_eight_stages_and_the_contract():
    response = client_for(None).get(reverse("portal:home"))
    assert response.status_code == 200
    body = response.content.decode()
    for stage in STAGES:
        assert STAGE_TITLES[stage] in body
    assert body.count("<li><strong>") >= len(STAGES)
    assert "multiple-choice" in body
    assert "never a literal secret" in body


def test_it_warns_that_the_demo_teacher_is_in_use_and_names_the_variables(settings):
    settings.ALAIN = {**settings.ALAIN, "DEFAULT_PROVIDER": "", "OPENAI_API_KEY": "", "POE_API_KEY": ""}
    body = client_for(None).get(reverse("portal:home")).content.decode()
    assert "Demo teacher in use" in body
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "POE_API_KEY", "LOCAL_BASE_URL"):
        assert name in body


def test_a_configured_provider_removes_the_banner_and_its_key_is_never_shown(settings):
    secret = "sk-test-portal-0123456789abcdef"
    settings.ALAIN = {**settings.ALAIN, "DEFAULT_PROVIDER": "", "OPENAI_API_KEY": secret}
    body = client_for(None).get(reverse("portal:home")).content.decode()
    assert "Demo teacher in use" not in body
    assert "configured" in body
    assert secret not in body
    assert secret[:10] not in body


def test_a_broken_catalog_shows_an_error_banner(monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr("generation.views.pages.catalog_entries", broken)
    response = client_for(None).get(reverse("portal:home"))
    assert response.status_code == 200
    assert "Teachers unavailable" in response.content.decode()


def test_the_layout_has_landmarks_a_skip_link_and_no_inline_script_or_style(people):
    body = client_for(people.author).get(reverse("portal:home")).content.decode()
    assert '<html lang="' in body
    assert 'href="#main"' in body and 'id="main"' in body
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in body
    assert "style=" not in body
    assert "hx-on" not in body
    # Every script is a static file; none has a body.
    assert body.count("<script") == body.count('<script src="/static/')
    assert body.count("<script") == body.count("></script>")
    assert "htmx-2.0.6.min.js" in body
    assert "includeIndicatorStyles" in body
    assert "Signed in as" in body and "alice" in body
    assert 'action="/accounts/logout/"' in body and 'method="post"' in body


def test_anonymous_visitors_see_a_sign_in_link():
    body = client_for(None).get(reverse("portal:home")).content.decode()
    assert "Sign in" in body
    assert reverse("accounts:login") in body


def test_pages_carry_a_content_security_policy_without_unsafe_inline_scripts(people):
    pages = [(None, reverse("portal:home")), (people.author, reverse("portal:home"))]
    pages += [(people.author, reverse(name)) for name in ("portal:generate", "portal:runs")]
    for user, url in pages:
        response = client_for(user).get(url)
        assert response.status_code == 200, url
        policy = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-eval'" not in directives["script-src"]
        assert "'unsafe-inline'" not in directives.get("style-src", "")
        assert "style=" not in response.content.decode()
