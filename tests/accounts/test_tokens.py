"""Personal API tokens: the services and the tokens page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from alain_site.accounts.models import ApiToken
from alain_site.accounts.tokens import (
    TokenError,
    authenticate_token,
    create_token,
    revoke_token,
    revoke_tokens,
)

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"alain_[A-Za-z0-9_-]{43}")


# --- services ------------------------------------------------------------------------------


def test_it_stores_only_the_hash_of_a_new_key(user):
    token, key = create_token(user, name="CI")

    assert KEY_RE.fullmatch(key)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[len("alain_") :][:8]
    assert key not in str([getattr(token, field.attname) for field in ApiToken._meta.fields])
    assert not token.read_only
    assert token.expires_at is None


def test_it_sets_scope_and_expiry(user):
    before = timezone.now()
    token, _ = create_token(user, name="  nightly  ", read_only=True, expires_in_days=30)

    assert token.name == "nightly"
    assert token.read_only
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 81},
        {"name": "ok", "expires_in_days": 0},
        {"name": "ok", "expires_in_days": 366},
    ],
)
def test_it_refuses_bad_arguments(user, kwargs):
    with pytest.raises(TokenError):
        create_token(user, **kwargs)


def test_it_authenticates_a_key_and_records_its_use(user):
    token, key = create_token(user, name="CI")

    found = authenticate_token(key)

    assert found == token
    assert found.user == user
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_records_a_use_at_most_once_a_minute(user):
    token, key = create_token(user, name="CI")
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)

    authenticate_token(key)
    token.refresh_from_db()
    assert token.last_used_at == recent

    old = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    authenticate_token(key)
    token.refresh_from_db()
    assert token.last_used_at > old


@pytest.mark.parametrize("raw", ["", None, "alain_wrong", "not-a-token", "alain_" + "a" * 500])
def test_it_refuses_a_wrong_key(user, raw):
    create_token(user, name="CI")

    assert authenticate_token(raw) is None


def test_it_refuses_a_revoked_key(user):
    token, key = create_token(user, name="CI")

    revoke_token(user, token.pk)

    assert authenticate_token(key) is None


def test_it_refuses_an_expired_key(user):
    token, key = create_token(user, name="CI", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert authenticate_token(key) is None


def test_it_refuses_the_key_of_an_inactive_user(user):
    _, key = create_token(user, name="CI")
    user.is_active = False
    user.save()

    assert authenticate_token(key) is None


def test_it_revokes_only_own_tokens(make_user):
    owner, other = make_user("ada"), make_user("grace")
    token, key = create_token(owner, name="CI")

    with pytest.raises(Http404):
        revoke_token(other, token.pk)

    token.refresh_from_db()
    assert token.revoked_at is None
    assert authenticate_token(key) == token


def test_revoking_twice_keeps_the_first_time(user):
    token, _ = create_token(user, name="CI")
    first = revoke_token(user, token.pk).revoked_at

    assert revoke_token(user, token.pk).revoked_at == first


def test_bulk_revoke_skips_revoked_tokens(user):
    a, _ = create_token(user, name="a")
    create_token(user, name="b")
    revoke_token(user, a.pk)

    assert revoke_tokens(ApiToken.objects.all()) == 1
    assert not ApiToken.objects.usable().exists()


# --- the tokens page ----------------------------------------------------------------------


def test_the_tokens_page_needs_a_signed_in_user(client):
    url = reverse("accounts:tokens")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_anonymous_cannot_revoke(client, user):
    token, _ = create_token(user, name="CI")

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_tokens_page_labels_every_input(client, user):
    client.force_login(user)

    response = client.get(reverse("accounts:tokens"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for name in ("name", "read_only", "expires_in_days"):
        assert f'<label for="id_{name}"' in html
    assert "You have no tokens yet." in html


def test_a_new_key_is_shown_once(client, user):
    client.force_login(user)
    url = reverse("accounts:tokens")

    response = client.post(url, {"name": "CI export", "read_only": "on", "expires_in_days": "30"})

    html = response.content.decode()
    assert response.status_code == 200
    keys = set(KEY_RE.findall(html))
    assert len(keys) == 1
    key = keys.pop()
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.name == "CI export"
    assert token.read_only
    assert "no-store" in response["Cache-Control"]
    assert authenticate_token(key) == token

    # Not in the session, not in messages, not on the next page.
    assert key not in str(dict(client.session.items()))
    again = client.get(url).content.decode()
    assert key not in again
    assert token.display_prefix in again
    assert "Read only" in again


def test_the_tokens_page_lists_only_own_tokens(client, make_user):
    ada, grace = make_user("ada"), make_user("grace")
    create_token(ada, name="ada-token")
    create_token(grace, name="grace-token")
    client.force_login(ada)

    html = client.get(reverse("accounts:tokens")).content.decode()

    assert "ada-token" in html
    assert "grace-token" not in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "ok", "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "400"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_a_bad_form_shows_errors_next_to_the_field(client, user, data, field):
    client.force_login(user)

    response = client.post(reverse("accounts:tokens"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert not KEY_RE.search(html)
    assert f'id="id_{field}_error"' in html
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', html)
    assert 'aria-invalid="true"' in html


def test_it_revokes_a_token_from_the_page(client, user):
    token, key = create_token(user, name="CI")
    client.force_login(user)

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("accounts:tokens")
    assert "is revoked" in html
    assert "Revoked" in html
    assert authenticate_token(key) is None
    # No revoke button is left for a revoked token.
    assert reverse("accounts:token_revoke", args=[token.pk]) not in html


def test_revoking_another_users_token_is_not_found(client, make_user):
    ada, grace = make_user("ada"), make_user("grace")
    token, key = create_token(grace, name="CI")
    client.force_login(ada)

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    assert authenticate_token(key) == token


def test_revoke_is_post_only(client, user):
    token, _ = create_token(user, name="CI")
    client.force_login(user)

    response = client.get(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_needs_the_csrf_token(user):
    from django.test import Client

    token, _ = create_token(user, name="CI")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
