"""API tokens in the admin: searchable, revocable, never showing a key."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from alain_site.accounts.models import ApiToken
from alain_site.accounts.tokens import authenticate_token, create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_of(make_user, client):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_it_lists_and_searches_tokens_without_their_keys(admin_client_of, make_user):
    ada = make_user("ada")
    token, key = create_token(ada, name="ci-export")
    create_token(make_user("grace"), name="other")

    response = admin_client_of.get(reverse("admin:accounts_apitoken_changelist"), {"q": "ada"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "ci-export" in html
    assert "other" not in html
    assert key not in html
    assert token.key_hash not in html
    detail = admin_client_of.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash not in detail
    assert key not in detail


def test_the_admin_cannot_add_or_delete_tokens(admin_client_of, user):
    token, _ = create_token(user, name="CI")

    assert admin_client_of.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert admin_client_of.get(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403


def test_the_revoke_action_revokes_the_selected_tokens(admin_client_of, user):
    token, key = create_token(user, name="CI")
    kept, kept_key = create_token(user, name="kept")

    response = admin_client_of.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", ACTION_CHECKBOX_NAME: [token.pk]},
    )

    assert response.status_code == 302
    assert authenticate_token(key) is None
    assert authenticate_token(kept_key) == kept
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
