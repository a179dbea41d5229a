"""Password change and reset (by email, to the console backend by default)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-longer-passphrase-17"


def test_email_goes_to_the_console_by_default():
    # pytest-django swaps in the locmem backend for tests; the configured one is the console.
    from alain_site import settings as alain_settings

    assert alain_settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def test_password_change_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:password_change"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_password_change_page_labels_every_input(client, user):
    client.force_login(user)

    html = client.get(reverse("accounts:password_change")).content.decode()

    assert html.count("<h1") == 1
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'<label for="id_{name}"' in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="new-password"' in html


def test_a_wrong_old_password_is_refused(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_old_password_error"' in html
    assert 'aria-describedby="id_old_password_error"' in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_it_changes_the_password(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Still signed in here (the session hash was updated).
    assert client.get(reverse("accounts:password_change_done")).status_code == 200


def test_it_emails_a_working_reset_link(client, user, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your ALAIN password"
    link = re.search(r"https?://testserver(/\S+)", message.body).group(1)

    # Django swaps the token for a session value and redirects to .../set-password/.
    confirm = client.get(link)
    assert confirm.status_code == 302
    form_page = client.get(confirm.url)
    assert form_page.context["validlink"]
    assert '<label for="id_new_password1"' in form_page.content.decode()
    done = client.post(confirm.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(done.url).status_code == 200


def test_a_used_reset_link_no_longer_works(client, user, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
    link = re.search(r"https?://testserver(/\S+)", mailoutbox[0].body).group(1)
    confirm = client.get(link)
    client.post(confirm.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link)

    assert response.status_code == 200
    assert not response.context["validlink"]
    assert "This link does not work" in response.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, user, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert mailoutbox == []


@pytest.mark.parametrize(
    "name",
    [
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_complete",
        "accounts:login",
    ],
)
def test_the_public_pages_have_one_heading(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1
