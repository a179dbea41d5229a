"""Sign in and out, and login throttling by django-axes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_labels_every_input(client):
    response = client.get(reverse("accounts:login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert '<label for="id_username"' in html
    assert '<label for="id_password"' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html


def test_it_signs_in_and_redirects_home(client, user):
    response = client.post(reverse("accounts:login"), {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_follows_a_safe_next_url(client, user):
    url = reverse("accounts:login")
    response = client.post(url, {"username": "ada", "password": PASSWORD, "next": reverse("accounts:tokens")})

    assert response.url == reverse("accounts:tokens")


def test_it_ignores_a_next_url_on_another_host(client, user):
    url = reverse("accounts:login")
    response = client.post(url, {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"})

    assert response.url == reverse("portal:home")


def test_a_wrong_password_shows_a_form_error(client, user):
    response = client.post(reverse("accounts:login"), {"username": "ada", "password": "nope"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Please enter a correct username and password" in html
    assert 'id="form-errors" role="alert"' in html
    assert 'aria-describedby="form-errors"' in html


def test_a_missing_field_is_tied_to_its_error(client, user):
    response = client.post(reverse("accounts:login"), {"username": "ada", "password": ""})

    html = response.content.decode()
    assert 'id="id_password_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_password_error"' in html


def test_a_signed_in_user_is_sent_on_from_the_login_page(client, user):
    client.force_login(user)

    response = client.get(reverse("accounts:login"))

    assert response.status_code == 302
    assert response.url == reverse("portal:home")


def test_it_signs_out_with_a_post(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert "_auth_user_id" not in client.session


def test_it_does_not_sign_out_with_a_get(client, user):
    client.force_login(user)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_locks_sign_in_out_after_five_failures(client, user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    url = reverse("accounts:login")
    statuses = [client.post(url, {"username": "ada", "password": f"wrong-{n}"}).status_code for n in range(5)]

    # Even the right password is refused now, with the locked-out page.
    response = client.post(url, {"username": "ada", "password": PASSWORD})

    assert statuses[:4] == [200, 200, 200, 200]
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert response.content.decode().count("<h1") == 1
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, make_user):
    make_user("ada")
    make_user("grace")
    url = reverse("accounts:login")
    for n in range(5):
        client.post(url, {"username": "ada", "password": f"wrong-{n}"})

    response = client.post(url, {"username": "grace", "password": PASSWORD})

    assert response.status_code == 302


def test_four_failures_do_not_lock_out(client, user):
    url = reverse("accounts:login")
    for n in range(4):
        client.post(url, {"username": "ada", "password": f"wrong-{n}"})

    response = client.post(url, {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302
