"""Keep teacher providers from being overloaded, however many worker processes on however many hosts.

Every call to a teacher holds a *lease*: a `ProviderLease` row. `ProviderGovernor.acquire()` decides,
in one transaction that locks the provider's `ProviderState` row, whether

1. the circuit breaker lets a call through (closed; or half-open with no trial call in flight),
2. fewer live leases than `max_concurrency` exist, and
3. the request-rate token bucket has a token,

and then inserts the lease. Because the state and the leases live in the database, the limits hold
across processes and hosts. A worker that dies stops renewing its leases; they expire after
`lease_ttl_seconds` and stop counting, so a crash never loses a slot for good.

`release()` reports how the call went, which drives the breaker: "ok" (the provider answered),
"failure" (the provider failed after the HTTP client's own retries) or "neutral" (cancelled, or an
error that says nothing about the provider).

Times stored in the database come from `django.utils.timezone.now()` (injectable); deadlines use
`time.monotonic()` (injectable), so a wall-clock jump cannot stretch a wait.
"""

from __future__ import annotations

import logging
import math
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from providers.errors import ProviderConfigError
from providers.models import BreakerState, ProviderLease, ProviderState

__all__ = [
    "Lease",
    "Outcome",
    "ProviderGovernor",
    "ProviderPolicy",
    "ProviderUnavailable",
    "policy_for",
    "process_holder_prefix",
    "provider_snapshot",
    "renew_leases_of_process",
    "reset_provider",
]

logger = logging.getLogger(__name__)

Outcome = Literal["ok", "failure", "neutral"]
UnavailableReason = Literal["breaker_open", "saturated"]

# Polling while refused: exponential from 50 ms to 1 s, so a freed slot is taken quickly but many
# waiting workers do not hammer the database. Even a known wait (the next rate token, the end of a
# cooldown) is slept in steps of at most this, so `check_cancelled` is asked at least once a second.
BACKOFF_START_SECONDS = 0.05
BACKOFF_MAX_SECONDS = 1.0
# Spread workers that were told the same "next token at" instant, so they do not all wake at once.
KNOWN_WAIT_JITTER_SECONDS = 0.02

DEFAULT_BREAKER_THRESHOLD = 5
DEFAULT_BREAKER_COOLDOWN_SECONDS = 60.0
DEFAULT_LEASE_TTL_SECONDS = 30.0
DEFAULT_WAIT_SECONDS = 600.0

# The offline, in-process demo teacher has nothing to protect.
UNGOVERNED_PROVIDERS = frozenset({"demo"})


@dataclass(frozen=True)
class ProviderPolicy:
    """The limits one provider is held to. Build it from settings with `policy_for()`."""

    provider: str
    max_concurrency: int | None  # None: no cap
    requests_per_minute: float | None  # None: no rate limit
    breaker_threshold: int = DEFAULT_BREAKER_THRESHOLD  # consecutive failures that open the breaker
    breaker_cooldown_seconds: float = DEFAULT_BREAKER_COOLDOWN_SECONDS  # open -> half_open after this
    lease_ttl_seconds: float = DEFAULT_LEASE_TTL_SECONDS  # a lease not renewed within this is dead
    wait_seconds: float = DEFAULT_WAIT_SECONDS  # longest acquire() waits
    # Requests that may be sent at once after a quiet spell; None: max(1, min(cap or 1, rpm)).
    rate_burst: float | None = None

    def __post_init__(self) -> None:
        if not self.provider or len(self.provider) > 80:
            raise ProviderConfigError(f"A provider key must have 1 to 80 characters, got {self.provider!r}.")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ProviderConfigError(f"The concurrency cap of {self.provider!r} must be at least 1 (or none).")
        if self.requests_per_minute is not None and not self.requests_per_minute > 0:
            raise ProviderConfigError(f"The request rate of {self.provider!r} must be above 0 per minute (or none).")
        if self.breaker_threshold < 1:
            raise ProviderConfigError("BREAKER_THRESHOLD must be at least 1.")
        if self.lease_ttl_seconds <= 0:
            raise ProviderConfigError("LEASE_TTL_SECONDS must be above 0.")
        if self.breaker_cooldown_seconds < 0 or self.wait_seconds < 0:
            raise ProviderConfigError("BREAKER_COOLDOWN_SECONDS and PROVIDER_WAIT_SECONDS must not be negative.")

    @property
    def burst(self) -> float:
        """Capacity of the token bucket: what a provider may receive at once after a pause."""
        if self.rate_burst is not None:
            return max(1.0, self.rate_burst)
        rpm = self.requests_per_minute or 1.0
        return max(1.0, min(float(self.max_concurrency or 1), rpm))


def policy_for(provider: str, config: Mapping[str, Any] | None = None) -> ProviderPolicy:
    """The policy for `provider` from `config` (default: `settings.ALAIN`).

    Per provider: `<PROVIDER>_CONCURRENCY` and `<PROVIDER>_RATE_PER_MINUTE` (strings; "" or "0" means
    none). When `<PROVIDER>_CONCURRENCY` is missing altogether, the provider's own default applies
    (the local teacher serves one request at a time), as the teacher itself does. Global:
    BREAKER_THRESHOLD, BREAKER_COOLDOWN_SECONDS, LEASE_TTL_SECONDS, PROVIDER_WAIT_SECONDS.
    The offline demo provider is never capped or rate-limited.
    """
    config = _alain_settings(config)
    prefix = provider.upper().replace("-", "_")
    common: dict[str, Any] = {
        "breaker_threshold": int(_number(config, "BREAKER_THRESHOLD", DEFAULT_BREAKER_THRESHOLD)),
        "breaker_cooldown_seconds": _number(config, "BREAKER_COOLDOWN_SECONDS", DEFAULT_BREAKER_COOLDOWN_SECONDS),
        "lease_ttl_seconds": _lease_ttl_seconds(config),
        "wait_seconds": _number(config, "PROVIDER_WAIT_SECONDS", DEFAULT_WAIT_SECONDS),
    }
    if provider in UNGOVERNED_PROVIDERS:
        return ProviderPolicy(provider=provider, max_concurrency=None, requests_per_minute=None, **common)
    cap_key = f"{prefix}_CONCURRENCY"
    # A missing key (not an empty one) means "the provider's own default".
    cap = _optional_number(config, cap_key) if cap_key in config else _provider_default_concurrency(provider)
    rate = _optional_number(config, f"{prefix}_RATE_PER_MINUTE")
    if cap is not None and cap != int(cap):
        raise ProviderConfigError(f"{cap_key} must be a whole number, got {config[cap_key]!r}.")
    return ProviderPolicy(
        provider=provider,
        max_concurrency=int(cap) if cap is not None else None,
        requests_per_minute=rate,
        **common,
    )


def _alain_settings(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    from django.conf import settings

    return getattr(settings, "ALAIN", {})


def _lease_ttl_seconds(config: Mapping[str, Any]) -> float:
    return _number(config, "LEASE_TTL_SECONDS", DEFAULT_LEASE_TTL_SECONDS)


def _number(config: Mapping[str, Any], key: str, default: float) -> float:
    raw = config.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return float(default)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ProviderConfigError(f"{key} must be a number, got {raw!r}.") from None


def _optional_number(config: Mapping[str, Any], key: str) -> float | None:
    value = _number(config, key, 0.0)
    if value < 0:
        raise ProviderConfigError(f"{key} must not be negative, got {config.get(key)!r}.")
    return value or None


def _provider_default_concurrency(provider: str) -> int | None:
    from providers.catalog import provider_class

    try:
        return getattr(provider_class(provider), "default_concurrency", None)
    except ProviderConfigError:
        return None


class ProviderUnavailable(Exception):
    """The provider could not be given a call slot within the policy's wait.

    `reason` is "breaker_open" (the provider kept failing) or "saturated" (every slot, or the
    request rate, stayed used up). `retry_after` is a hint in seconds when one is known.
    `message` is one sentence for the user.
    """

    def __init__(
        self, message: str, *, provider: str, reason: UnavailableReason, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.reason = reason
        self.retry_after = retry_after


@dataclass(eq=False)
class Lease:
    """A held call slot. Give it back with `ProviderGovernor.release()`; keep it alive with `renew()`."""

    pk: int
    provider: str
    holder: str
    probe: bool
    acquired_at: datetime
    expires_at: datetime
    released: bool = field(default=False, init=False)


@dataclass(frozen=True)
class _Refusal:
    """Why one attempt got no slot, and when trying again makes sense (None: unknown)."""

    reason: Literal["breaker_open", "probe_in_flight", "saturated", "rate_limited"]
    retry_after: float | None = None
    live: int = 0
    failures: int = 0
    last_failure: str = ""


def process_holder_prefix() -> str:
    """The holder prefix "<hostname>:<pid>:" of this process, read at call time (a forked worker gets its own)."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:"


def _new_holder() -> str:
    return f"{process_holder_prefix()}{secrets.token_hex(8)}"


class ProviderGovernor:
    """Grants and takes back call slots of one provider under its `ProviderPolicy`.

    Call `acquire()` outside any transaction: inside an outer `atomic()` the lease would stay
    invisible to other processes until that transaction commits.
    """

    def __init__(
        self,
        policy: ProviderPolicy,
        *,
        now: Callable[[], datetime] = timezone.now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self._now = now
        self._monotonic = monotonic
        self._sleep = sleep
        self._random = rng or random.Random()

    @property
    def provider(self) -> str:
        return self.policy.provider

    # --- acquire -----------------------------------------------------------------------------

    def acquire(self, *, check_cancelled: Callable[[], None] | None = None) -> Lease:
        """Wait for a call slot and return its lease.

        Polls with jittered backoff while the breaker, the cap or the rate limit refuses, calling
        `check_cancelled()` between polls (whatever it raises propagates). Raises
        ProviderUnavailable after `policy.wait_seconds`.
        """
        return self.acquire_many(1, check_cancelled=check_cancelled)[0]

    def acquire_many(self, count: int, *, check_cancelled: Callable[[], None] | None = None) -> list[Lease]:
        """Wait like `acquire()` until a slot is free; then take up to `count` slots at once.

        Returns between 1 and `count` leases: as many as the cap, the rate limit and the breaker
        (one trial call when half-open) allow at that moment, decided in one transaction.
        """
        started = self._monotonic()
        deadline = started + self.policy.wait_seconds
        polls = 0
        while True:
            outcome = self._try_acquire(count)
            if not isinstance(outcome, _Refusal):
                return outcome
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise self._unavailable(outcome, waited=self._monotonic() - started)
            self._sleep(min(self._pause(outcome, polls), remaining))
            polls += 1
            if check_cancelled is not None:
                check_cancelled()

    def try_acquire(self) -> Lease | None:
        """One attempt at a slot without waiting: the lease, or None when refused right now.

        For callers that hold other slots of the provider: waiting in `acquire()` while their
        own finished calls still hold slots would only delay releasing them.
        """
        leases = self.try_acquire_many(1)
        return leases[0] if leases else None

    def try_acquire_many(self, count: int) -> list[Lease]:
        """One attempt at up to `count` slots without waiting; an empty list when refused right now."""
        outcome = self._try_acquire(count)
        return [] if isinstance(outcome, _Refusal) else outcome

    def _pause(self, refusal: _Refusal, polls: int) -> float:
        if refusal.retry_after is not None:
            # The limiter knows when the next chance comes: sleep until then (in steps of at most 1 s).
            jitter = self._random.uniform(0, KNOWN_WAIT_JITTER_SECONDS)
            return min(max(refusal.retry_after, 0.0), BACKOFF_MAX_SECONDS) + jitter
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_START_SECONDS * 2**polls)
        return self._random.uniform(delay / 2, delay)

    def _try_acquire(self, count: int) -> list[Lease] | _Refusal:
        """One atomic decision: breaker, cap and rate checked and the leases inserted under the row lock.

        Grants between 1 and `count` leases, or refuses. Several slots in one transaction cost
        what one does: a run asks for all its sections' slots at once.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        policy = self.policy
        with transaction.atomic():
            state = _locked_state(policy.provider)
            breaker_before = state.state
            now = self._now()
            # Expired leases (of dead workers) do not count; `release_many` deletes them.
            live = ProviderLease.objects.filter(provider=policy.provider, expires_at__gt=now)

            probe = False
            if state.state == BreakerState.OPEN:
                reopen_at = (state.opened_at or now) + timedelta(seconds=policy.breaker_cooldown_seconds)
                if now < reopen_at:
                    return self._breaker_refusal(state, "breaker_open", (reopen_at - now).total_seconds())
                state.state = BreakerState.HALF_OPEN
            if state.state == BreakerState.HALF_OPEN:
                if live.filter(probe=True).exists():
                    return self._breaker_refusal(state, "probe_in_flight", None)
                probe = True
            grant = 1 if probe else count

            if policy.max_concurrency is not None:
                live_count = live.count()
                if live_count >= policy.max_concurrency:
                    return _Refusal("saturated", live=live_count)
                grant = min(grant, policy.max_concurrency - live_count)

            rate_limited = policy.requests_per_minute is not None
            if policy.requests_per_minute is not None:
                per_second = policy.requests_per_minute / 60.0
                tokens = policy.burst if state.refilled_at is None else state.tokens
                elapsed = 0.0 if state.refilled_at is None else max(0.0, (now - state.refilled_at).total_seconds())
                tokens = min(policy.burst, tokens + elapsed * per_second)
                if tokens < 1.0:
                    # Nothing is saved: the refill is recomputed from `refilled_at` next time.
                    return _Refusal("rate_limited", retry_after=(1.0 - tokens) / per_second)
                grant = min(grant, int(tokens))
                state.tokens = tokens - grant
                state.refilled_at = now

            if probe:
                logger.info("Provider %s: breaker half-open, sending one trial call", policy.provider)
            if rate_limited or state.state != breaker_before:
                # Without a rate limit or a breaker change there is nothing to record: spare the write.
                state.updated_at = now
                state.save(update_fields=["state", "tokens", "refilled_at", "updated_at"])
            expires_at = now + timedelta(seconds=policy.lease_ttl_seconds)
            rows = ProviderLease.objects.bulk_create(
                ProviderLease(
                    provider=policy.provider, holder=_new_holder(), acquired_at=now, expires_at=expires_at, probe=probe
                )
                for _ in range(grant)
            )
        return [
            Lease(
                pk=row.pk, provider=row.provider, holder=row.holder, probe=probe, acquired_at=now, expires_at=expires_at
            )
            for row in rows
        ]

    @staticmethod
    def _breaker_refusal(
        state: ProviderState, reason: Literal["breaker_open", "probe_in_flight"], retry_after: float | None
    ) -> _Refusal:
        return _Refusal(
            reason, retry_after=retry_after, failures=state.consecutive_failures, last_failure=state.last_failure
        )

    def _unavailable(self, refusal: _Refusal, *, waited: float) -> ProviderUnavailable:
        name = f"Teacher provider '{self.provider}'"
        seconds = f"{math.ceil(waited)} s"
        if refusal.reason in {"breaker_open", "probe_in_flight"}:
            last = f" (last: {refusal.last_failure})" if refusal.last_failure else ""
            trial = " and a trial call is still running" if refusal.reason == "probe_in_flight" else ""
            message = (
                f"{name} is unavailable: its circuit breaker opened after {refusal.failures} consecutive "
                f"failures{last}{trial}; try again later."
            )
            return ProviderUnavailable(
                message, provider=self.provider, reason="breaker_open", retry_after=refusal.retry_after
            )
        if refusal.reason == "rate_limited":
            rpm = f"{self.policy.requests_per_minute:g}"
            message = f"{name} is saturated: its limit of {rpm} requests per minute stayed used up for {seconds}."
        else:
            cap = self.policy.max_concurrency
            message = f"{name} is saturated: {refusal.live} of {cap} slots busy for {seconds}."
        return ProviderUnavailable(message, provider=self.provider, reason="saturated", retry_after=refusal.retry_after)

    # --- release and renew ---------------------------------------------------------------------

    def release(self, lease: Lease, *, outcome: Outcome, reason: str = "") -> None:
        """Give the slot back and tell the breaker how the call went.

        "ok": the provider answered (resets the failure count; a trial call's success closes the
        breaker). "failure": the provider failed after the HTTP client's retries (connection, timeout, 5xx,
        429 exhausted); counts towards opening the breaker, and a failed trial call reopens it.
        "neutral": cancelled or unrelated to the provider; the breaker is left alone.
        `reason` is a short description without secrets. Releasing a lease twice does nothing.
        """
        self.release_many([(lease, outcome, reason)])

    def release_many(self, releases: Iterable[tuple[Lease, Outcome, str]]) -> None:
        """`release()` for several leases in one transaction, their outcomes applied in order."""
        releases = list(releases)
        for _, outcome, _ in releases:
            if outcome not in {"ok", "failure", "neutral"}:
                raise ValueError(f"outcome must be 'ok', 'failure' or 'neutral', got {outcome!r}")
        todo = [item for item in releases if not item[0].released]
        if not todo:
            return
        now = self._now()
        with transaction.atomic():
            # The outcome counts even when the lease already expired (a late heartbeat): the call happened.
            # The same statement deletes the expired leases of dead workers, which nobody else releases.
            mine = Q(pk__in=[lease.pk for lease, _, _ in todo])
            ProviderLease.objects.filter(mine | Q(provider=self.policy.provider, expires_at__lte=now)).delete()
            judged = [item for item in todo if item[1] != "neutral"]
            if judged:
                state = _locked_state(self.policy.provider)
                changed = [self._apply_outcome(state, lease, outcome, reason, now) for lease, outcome, reason in judged]
                if any(changed):
                    state.updated_at = now
                    state.save(
                        update_fields=["state", "consecutive_failures", "opened_at", "last_failure", "updated_at"]
                    )
        for lease, _, _ in todo:
            lease.released = True

    def _apply_outcome(self, state: ProviderState, lease: Lease, outcome: Outcome, reason: str, now: datetime) -> bool:
        """Update the breaker `state` for one call's outcome; says whether anything changed."""
        policy = self.policy
        reason = reason.strip()[:300]
        closed = state.state == BreakerState.CLOSED
        if outcome == "ok":
            if closed:
                if state.consecutive_failures == 0:
                    return False  # nothing to change: spare the write on the common path
                state.consecutive_failures = 0
            elif lease.probe:
                logger.info("Provider %s: trial call succeeded, breaker closed", policy.provider)
                state.state = BreakerState.CLOSED
                state.consecutive_failures = 0
                state.opened_at = None
            else:
                # A call that started before the breaker opened: one late answer does not prove
                # recovery; the trial call after the cooldown decides.
                return False
        else:
            state.consecutive_failures += 1
            state.last_failure = reason or "unknown failure"
            if closed and state.consecutive_failures >= policy.breaker_threshold:
                logger.warning(
                    "Provider %s: breaker opened after %d consecutive failures (last: %s)",
                    policy.provider,
                    state.consecutive_failures,
                    state.last_failure,
                )
                state.state = BreakerState.OPEN
                state.opened_at = now
            elif not closed and lease.probe:
                logger.warning("Provider %s: trial call failed, breaker open again", policy.provider)
                state.state = BreakerState.OPEN
                state.opened_at = now
        return True

    def renew(self, leases: Iterable[Lease]) -> int:
        """Push the leases' expiry to now + TTL; returns how many were still alive to renew.

        An already expired lease is not revived: its slot may have been handed to someone else.
        """
        pks = [lease.pk for lease in leases if not lease.released]
        if not pks:
            return 0
        now = self._now()
        expires_at = now + timedelta(seconds=self.policy.lease_ttl_seconds)
        return ProviderLease.objects.filter(pk__in=pks, expires_at__gt=now).update(expires_at=expires_at)


def _locked_state(provider: str) -> ProviderState:
    """The provider's state row, locked until the surrounding transaction ends; created on first use."""
    try:
        return ProviderState.objects.select_for_update().get(provider=provider)
    except ProviderState.DoesNotExist:
        # get_or_create retries the read when a concurrent insert wins the unique constraint.
        ProviderState.objects.get_or_create(provider=provider)
        return ProviderState.objects.select_for_update().get(provider=provider)


def renew_leases_of_process(
    holder_prefix: str | None = None,
    ttl_seconds: float | None = None,
    *,
    now: Callable[[], datetime] = timezone.now,
) -> int:
    """Renew every live lease held by this process (one UPDATE); for a worker's heartbeat thread.

    `ttl_seconds` defaults to the global LEASE_TTL_SECONDS setting. Returns the number renewed.
    """
    prefix = holder_prefix if holder_prefix is not None else process_holder_prefix()
    if ttl_seconds is None:
        ttl_seconds = _lease_ttl_seconds(_alain_settings(None))
    moment = now()
    return ProviderLease.objects.filter(holder__startswith=prefix, expires_at__gt=moment).update(
        expires_at=moment + timedelta(seconds=ttl_seconds)
    )


def provider_snapshot(provider: str, *, now: Callable[[], datetime] = timezone.now) -> dict[str, Any]:
    """The provider's breaker and load, JSON-ready, for health pages and metrics. Creates nothing."""
    moment = now()
    state = ProviderState.objects.filter(provider=provider).first()
    live = ProviderLease.objects.filter(provider=provider, expires_at__gt=moment)
    return {
        "provider": provider,
        "state": state.state if state else BreakerState.CLOSED.value,
        "consecutive_failures": state.consecutive_failures if state else 0,
        "opened_at": state.opened_at.isoformat() if state and state.opened_at else None,
        "last_failure": state.last_failure if state else "",
        "live_leases": live.count(),
        "probe_in_flight": live.filter(probe=True).exists(),
    }


def reset_provider(provider: str, *, now: Callable[[], datetime] = timezone.now) -> None:
    """Close the breaker and drop expired leases (operations: the provider is known to be back)."""
    moment = now()
    with transaction.atomic():
        state = _locked_state(provider)
        state.state = BreakerState.CLOSED
        state.consecutive_failures = 0
        state.opened_at = None
        state.updated_at = moment
        state.save(update_fields=["state", "consecutive_failures", "opened_at", "updated_at"])
        ProviderLease.objects.filter(provider=provider, expires_at__lte=moment).delete()
    logger.info("Provider %s: breaker reset by an operator", provider)
