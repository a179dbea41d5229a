"""Personal API tokens: create (the key is returned once), revoke, authenticate.

A key is `alain_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored, so a database leak does not leak usable keys; a key is looked up by that hash, which
does not depend on how much of a guessed key is right (no timing oracle on the secret).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from alain_site.accounts.models import ApiToken

KEY_PREFIX = "alain_"
# The longest key we could have issued, with room to spare; longer input is not worth hashing.
MAX_KEY_LENGTH = 200
NAME_MAX_LENGTH = 80
EXPIRY_MIN_DAYS = 1
EXPIRY_MAX_DAYS = 365
# last_used_at is a hint for its owner, not an audit log: write it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be created with these arguments."""


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_token(
    user: AbstractBaseUser, *, name: str, read_only: bool = False, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it and its raw key, which is never available again."""
    name = name.strip()
    if not name:
        raise TokenError("A token needs a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise TokenError(f"A token name has at most {NAME_MAX_LENGTH} characters.")
    if expires_in_days is not None and not EXPIRY_MIN_DAYS <= expires_in_days <= EXPIRY_MAX_DAYS:
        raise TokenError(f"A token expires after {EXPIRY_MIN_DAYS} to {EXPIRY_MAX_DAYS} days.")
    secret = secrets.token_urlsafe(32)
    raw_key = KEY_PREFIX + secret
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:8],
        key_hash=hash_key(raw_key),
        read_only=read_only,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return token, raw_key


@transaction.atomic
def revoke_token(user: AbstractBaseUser, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; anyone else's, or a missing one, raises Http404.

    Revoking twice keeps the first revocation time.
    """
    token = get_object_or_404(ApiToken.objects.select_for_update(), pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke every token of `tokens` not already revoked (the admin action); return how many."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate_token(raw_key: str | None) -> ApiToken | None:
    """The usable token whose key this is, with its user, or None.

    Refuses revoked and expired tokens and tokens of inactive users. Records the use at most
    once a minute, with a conditional UPDATE so that concurrent requests write once.
    """
    if not raw_key or not raw_key.startswith(KEY_PREFIX) or len(raw_key) > MAX_KEY_LENGTH:
        return None
    digest = hash_key(raw_key)
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    now = timezone.now()
    if not token.is_usable(now) or not token.user.is_active:
        return None
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < cutoff:
        ApiToken.objects.filter(pk=token.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff)).update(
            last_used_at=now
        )
        token.last_used_at = now
    return token
