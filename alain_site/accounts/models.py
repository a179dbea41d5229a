"""Personal API tokens: what a script presents to the API instead of a password.

Only the SHA-256 of a key is stored. The key itself is shown once, in the response that created
it; `prefix` (the first characters of its random part) lets its owner recognise it in lists.
A token is usable while it is neither revoked nor expired; revoking is final.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: datetime | None = None) -> ApiTokenQuerySet:
        """Tokens that still authenticate: not revoked and not past their expiry."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, chosen by its owner.")
    prefix = models.CharField(max_length=8, help_text="First characters of the key after `alain_`, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 hex of the full key.")
    read_only = models.BooleanField(default=False, help_text="The token may read but not change anything.")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        """How the token is shown in lists: `alain_` and the first characters of its random part."""
        return f"alain_{self.prefix}…"

    @property
    def scope(self) -> str:
        return "Read only" if self.read_only else "Read and write"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if self.is_expired():
            return "Expired"
        return "Active"


class ApiRateWindow(models.Model):
    """Requests counted for one client in one fixed window (API rate limits).

    Counted in the database so that every web process shares the same limit.
    """

    bucket = models.CharField(max_length=80, help_text="Who is counted: token:<id>, user:<id> or ip:<address>.")
    window_start = models.BigIntegerField(help_text="Unix time at which the window opened.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "window_start"], name="unique_rate_window")]

    def __str__(self) -> str:
        return f"{self.bucket} @ {self.window_start}: {self.count}"
