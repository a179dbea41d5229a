"""Fixtures of the API tests: users in roles and teams, their tokens, and clients that send them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from alain_site.accounts.roles import add_to_team, ensure_role
from alain_site.accounts.tokens import create_token


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str, *, roles: tuple[str, ...] = ("authors",), teams: tuple[str, ...] = ()) -> User:
        user = User.objects.create_user(username, password="a-long-password-123")
        for role in roles:
            ensure_role(user, role)
        for team in teams:
            add_to_team(user, team)
        return user

    return make


@pytest.fixture
def bearer_client() -> Callable[..., Client]:
    """A client that sends a new token of `user` (read-only on request) with every request."""

    def make(user: User, *, read_only: bool = False, expires_in_days: int | None = None) -> Client:
        _, key = create_token(user, name="tests", read_only=read_only, expires_in_days=expires_in_days)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.raw_key = key  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def author(make_user) -> User:
    return make_user("ann", roles=("authors",), teams=("blue",))


@pytest.fixture
def other_author(make_user) -> User:
    return make_user("olga", roles=("authors",), teams=("red",))


@pytest.fixture
def reviewer(make_user) -> User:
    return make_user("rita", roles=("reviewers",), teams=("blue",))


@pytest.fixture
def api(bearer_client, author) -> Client:
    """The author's token client."""
    return bearer_client(author)


def post_json(client: Client, path: str, data: Any, **extra: Any):
    return client.post(path, data, content_type="application/json", **extra)
