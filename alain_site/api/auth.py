"""Who is calling: a personal API token (Bearer) or the portal's session (with its CSRF token).

A token's `read_only` scope and the user's roles decide what the caller may change; what they
may see is `visible_runs` (another user's run answers 404, as if it did not exist).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from alain_site.accounts.models import ApiToken
from alain_site.accounts.roles import can_author
from alain_site.accounts.tokens import authenticate_token
from alain_site.api.errors import ApiError


class TokenAuth(HttpBearer):
    """`Authorization: Bearer alain_...`: a usable token of an active user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = authenticate_token(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class PortalSessionAuth(SessionAuth):
    """The portal's own calls: a signed-in session, with Django's CSRF check on unsafe methods.

    Without a signed-in session there is nothing to check, so a request without credentials gets
    401 (authenticate), not a CSRF 403.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        # ninja checks CSRF before it asks whether the session is signed in: a stale or forged
        # session cookie must get 401 like no credentials, not a CSRF 403.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated:
            return None
        return super()._get_key(request)


def token_of(request: HttpRequest) -> ApiToken | None:
    return getattr(request, "api_token", None)


def require_write(request: HttpRequest) -> None:
    """Refuse a change made with a read-only token."""
    token = token_of(request)
    if token is not None and token.read_only:
        raise ApiError(
            403, "read_only_token", f"The token {token.display_prefix} is read-only; it cannot change anything."
        )


def require_author(request: HttpRequest) -> None:
    """Refuse generation and run actions to callers without the author role (and read-only tokens)."""
    require_write(request)
    if not can_author(request.user):
        raise ApiError(
            403,
            "author_role_required",
            "Generating manuals and acting on runs needs the author role; ask an administrator.",
        )
