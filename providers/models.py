"""What the provider governor counts in the database, so every worker process on every host sees it.

Only `providers.governor` writes these rows; the admin shows them read-only.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class BreakerState(models.TextChoices):
    CLOSED = "closed", "Closed (calls allowed)"
    OPEN = "open", "Open (calls refused until the cooldown ends)"
    HALF_OPEN = "half_open", "Half-open (one trial call allowed)"


class ProviderState(models.Model):
    """The circuit breaker and the request-rate bucket of one teacher provider.

    The row is also the lock that serializes `acquire()` for its provider: deciding "breaker,
    cap, rate" and inserting the lease happen while it is locked (SELECT ... FOR UPDATE).

    Breaker changes (made only by `providers.governor`):

        closed    -> open        after `breaker_threshold` consecutive failures
        open      -> half_open   on the first acquire after the cooldown (that caller is the probe)
        half_open -> closed      the probe call succeeded
        half_open -> open        the probe call failed (a fresh `opened_at`)
        any       -> closed      `reset_provider()` (operations)
    """

    provider = models.CharField(max_length=80, unique=True)
    state = models.CharField(max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    # A short reason ("HTTP 503 from ..."), never a key or a prompt.
    last_failure = models.TextField(blank=True, default="")
    # Token bucket for the request-rate limit; `refilled_at` is null until the first rate-limited call.
    tokens = models.FloatField(default=0.0)
    refilled_at = models.DateTimeField(null=True, blank=True)
    # Set by the governor with its own clock (not auto_now), so tests can move time.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "provider state"

    def __str__(self) -> str:
        return f"{self.provider}: {self.state}"


class ProviderLease(models.Model):
    """One call slot held by one worker; a lease not renewed before `expires_at` belongs to a dead worker.

    Live leases (`expires_at > now`) are what the concurrency cap counts; expired ones are ignored
    and deleted by the next `acquire()`.
    """

    provider = models.CharField(max_length=80)
    # "<hostname>:<pid>:<random hex>": the prefix lets one heartbeat renew all leases of a process.
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    # The single trial call allowed while the breaker is half-open.
    probe = models.BooleanField(default=False)

    class Meta:
        verbose_name = "provider lease"
        indexes = [models.Index(fields=["provider", "expires_at"], name="providers_lease_live_idx")]

    def __str__(self) -> str:
        return f"{self.provider} lease of {self.holder}"
