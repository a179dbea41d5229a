from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from providers.errors import ProviderConfigError
from providers.governor import (
    Lease,
    ProviderGovernor,
    ProviderPolicy,
    ProviderUnavailable,
    policy_for,
    process_holder_prefix,
    provider_snapshot,
    renew_leases_of_process,
    reset_provider,
)
from providers.models import BreakerState, ProviderLease, ProviderState

PROVIDER = "test-teacher"
REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    """Wall time and monotonic time that only move when the governor sleeps or a test says so."""

    def __init__(self) -> None:
        self.start = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        # Called after each sleep with the number of sleeps so far: lets a test act "meanwhile".
        self.on_sleep: Callable[[int], None] | None = None

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.elapsed += seconds
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_policy(**overrides) -> ProviderPolicy:
    fields = {
        "provider": PROVIDER,
        "max_concurrency": None,
        "requests_per_minute": None,
        "breaker_threshold": 3,
        "breaker_cooldown_seconds": 60.0,
        "lease_ttl_seconds": 30.0,
        "wait_seconds": 5.0,
    }
    fields.update(overrides)
    return ProviderPolicy(**fields)


def make_governor(clock: FakeClock, **overrides) -> ProviderGovernor:
    return ProviderGovernor(
        make_policy(**overrides), now=clock.now, monotonic=clock.monotonic, sleep=clock.sleep, rng=random.Random(7)
    )


def live_leases(clock: FakeClock, provider: str = PROVIDER) -> int:
    return ProviderLease.objects.filter(provider=provider, expires_at__gt=clock.now()).count()


def state_of(provider: str = PROVIDER) -> ProviderState:
    return ProviderState.objects.get(provider=provider)


def fail_times(governor: ProviderGovernor, count: int, reason: str = "HTTP 503 from the teacher") -> None:
    for _ in range(count):
        governor.release(governor.acquire(), outcome="failure", reason=reason)


# --- concurrency cap ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_grants_slots_up_to_the_cap_then_gives_up_saturated(clock):
    governor = make_governor(clock, max_concurrency=2, wait_seconds=3.0)
    first, second = governor.acquire(), governor.acquire()

    with pytest.raises(ProviderUnavailable) as caught:
        governor.acquire()

    assert {first.pk, second.pk} == set(ProviderLease.objects.values_list("pk", flat=True))
    assert caught.value.reason == "saturated"
    assert caught.value.provider == PROVIDER
    assert caught.value.message == f"Teacher provider '{PROVIDER}' is saturated: 2 of 2 slots busy for 3 s."
    assert str(caught.value) == caught.value.message
    # Jittered exponential backoff from ~50 ms, never above 1 s, stopping at the wait limit.
    assert 0.025 <= clock.sleeps[0] <= 0.05
    assert clock.sleeps[1] > clock.sleeps[0]
    assert max(clock.sleeps) <= 1.0
    assert sum(clock.sleeps) == pytest.approx(3.0)
    assert live_leases(clock) == 2


@pytest.mark.django_db
def test_a_released_slot_lets_a_waiting_acquire_through(clock):
    governor = make_governor(clock, max_concurrency=1)
    holder = governor.acquire()

    def release_meanwhile(sleeps: int) -> None:
        if sleeps == 2:
            governor.release(holder, outcome="ok")

    clock.on_sleep = release_meanwhile
    waiter = governor.acquire()

    assert len(clock.sleeps) == 2
    assert list(ProviderLease.objects.values_list("pk", flat=True)) == [waiter.pk]


@pytest.mark.django_db
def test_the_cap_counts_leases_of_every_holder_of_the_provider_only(clock):
    governor = make_governor(clock, max_concurrency=1, wait_seconds=0)
    expires = clock.now() + timedelta(seconds=30)
    ProviderLease.objects.create(provider="other", holder="elsewhere:1:aa", acquired_at=clock.now(), expires_at=expires)
    governor.acquire()
    ProviderLease.objects.create(
        provider=PROVIDER, holder="elsewhere:2:bb", acquired_at=clock.now(), expires_at=expires
    )

    with pytest.raises(ProviderUnavailable, match="2 of 1 slots busy"):
        governor.acquire()


# --- leases of dead workers and renewal -------------------------------------------------------------


@pytest.mark.django_db
def test_an_expired_lease_of_a_dead_worker_does_not_count(clock):
    governor = make_governor(clock, max_concurrency=1, lease_ttl_seconds=30, wait_seconds=0)
    dead = governor.acquire()  # never released nor renewed: its worker died
    clock.advance(29)
    with pytest.raises(ProviderUnavailable):
        governor.acquire()

    clock.advance(1)
    lease = governor.acquire()

    assert lease.pk != dead.pk
    assert clock.sleeps == []
    # Nobody releases the dead worker's row: the next release deletes it with its own lease. It
    # leaves alone a live lease of another worker, and another provider's expired one (that
    # provider's own releases delete it).
    live = ProviderLease.objects.create(
        provider=PROVIDER,
        holder="elsewhere:1:aa",
        acquired_at=clock.now(),
        expires_at=clock.now() + timedelta(seconds=5),
    )
    elsewhere = ProviderLease.objects.create(
        provider="other",
        holder="elsewhere:2:bb",
        acquired_at=clock.start,
        expires_at=clock.start + timedelta(seconds=1),
    )
    assert ProviderLease.objects.count() == 4
    governor.release(lease, outcome="ok")
    assert set(ProviderLease.objects.values_list("pk", flat=True)) == {live.pk, elsewhere.pk}


@pytest.mark.django_db
def test_renew_keeps_a_lease_alive_past_its_first_expiry(clock):
    governor = make_governor(clock, max_concurrency=1, lease_ttl_seconds=30, wait_seconds=0)
    lease = governor.acquire()
    clock.advance(20)

    assert governor.renew([lease]) == 1
    clock.advance(20)  # 40 s after acquiring: past the first expiry, within the renewed one

    with pytest.raises(ProviderUnavailable, match="1 of 1 slots busy"):
        governor.acquire()
    assert ProviderLease.objects.get(pk=lease.pk).expires_at == clock.start + timedelta(seconds=50)


@pytest.mark.django_db
def test_renew_does_not_revive_an_expired_lease(clock):
    # Its slot may already belong to someone else: reviving it would exceed the cap.
    governor = make_governor(clock, max_concurrency=1, lease_ttl_seconds=30)
    lease = governor.acquire()
    clock.advance(31)

    assert governor.renew([lease]) == 0
    assert live_leases(clock) == 0


@pytest.mark.django_db
def test_renew_leases_of_process_renews_this_process_leases_only(clock):
    governor = make_governor(clock, lease_ttl_seconds=30)
    mine = governor.acquire()
    theirs = ProviderLease.objects.create(
        provider=PROVIDER,
        holder="otherhost:1:abcd",
        acquired_at=clock.now(),
        expires_at=clock.now() + timedelta(seconds=30),
    )
    clock.advance(10)

    renewed = renew_leases_of_process(ttl_seconds=100, now=clock.now)

    assert renewed == 1
    assert ProviderLease.objects.get(pk=mine.pk).expires_at == clock.now() + timedelta(seconds=100)
    assert ProviderLease.objects.get(pk=theirs.pk).expires_at == clock.start + timedelta(seconds=30)


@pytest.mark.django_db
def test_renew_leases_of_process_takes_the_ttl_from_settings(clock, settings):
    settings.ALAIN = {**settings.ALAIN, "LEASE_TTL_SECONDS": "45"}
    lease = make_governor(clock).acquire()

    assert renew_leases_of_process(holder_prefix=process_holder_prefix(), now=clock.now) == 1
    assert ProviderLease.objects.get(pk=lease.pk).expires_at == clock.now() + timedelta(seconds=45)


def test_a_holder_names_the_host_and_process():
    prefix = process_holder_prefix()

    host, pid, rest = prefix.split(":")
    assert host
    assert pid == str(os.getpid())
    assert rest == ""


@pytest.mark.django_db
def test_a_lease_holder_starts_with_the_process_prefix_and_is_unique(clock):
    governor = make_governor(clock)
    first, second = governor.acquire(), governor.acquire()

    assert first.holder.startswith(process_holder_prefix())
    assert first.holder != second.holder
    assert first.expires_at == clock.now() + timedelta(seconds=30)


# --- rate limit -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rate_limit_waits_for_the_next_token(clock):
    governor = make_governor(clock, requests_per_minute=60)
    governor.release(governor.acquire(), outcome="ok")
    assert clock.sleeps == []

    governor.acquire()

    # One token a second and a bucket of one: the second call waits one second (plus a little jitter).
    assert len(clock.sleeps) == 1
    assert 1.0 <= clock.sleeps[0] <= 1.02


@pytest.mark.django_db
def test_the_rate_limit_allows_a_burst_then_spaces_requests(clock):
    governor = make_governor(clock, requests_per_minute=120, max_concurrency=2)
    for lease in [governor.acquire(), governor.acquire()]:
        governor.release(lease, outcome="ok")
    assert clock.sleeps == []

    governor.acquire()

    assert len(clock.sleeps) == 1
    assert 0.5 <= clock.sleeps[0] <= 0.52


@pytest.mark.django_db
def test_a_quiet_spell_refills_the_bucket_only_up_to_the_burst(clock):
    governor = make_governor(clock, requests_per_minute=60, rate_burst=2)
    governor.acquire()
    clock.advance(3600)

    governor.acquire()
    governor.acquire()
    assert clock.sleeps == []
    governor.acquire()

    assert len(clock.sleeps) == 1
    assert 1.0 <= clock.sleeps[0] <= 1.02


@pytest.mark.django_db
def test_a_used_up_rate_limit_gives_up_as_saturated(clock):
    governor = make_governor(clock, requests_per_minute=1, wait_seconds=5)
    governor.acquire()

    with pytest.raises(ProviderUnavailable) as caught:
        governor.acquire()

    assert caught.value.reason == "saturated"
    assert "limit of 1 requests per minute stayed used up for 5 s" in caught.value.message
    assert caught.value.retry_after == pytest.approx(55, abs=0.1)
    # The next token is a minute away: the wait is slept in steps of about a second.
    assert all(step <= 1.02 for step in clock.sleeps)


# --- several slots at once (a run's sections) -------------------------------------------------


@pytest.mark.django_db
def test_acquire_many_takes_what_the_cap_leaves_in_one_decision(clock):
    governor = make_governor(clock, max_concurrency=5)
    held = governor.acquire()

    leases = governor.acquire_many(7)

    assert len(leases) == 4
    assert len({lease.pk for lease in leases} | {held.pk}) == 5
    assert len({lease.holder for lease in leases}) == 4
    assert live_leases(clock) == 5
    assert governor.try_acquire_many(3) == []
    assert clock.sleeps == []


@pytest.mark.django_db
def test_acquire_many_without_a_cap_grants_every_slot_asked_for(clock):
    leases = make_governor(clock).acquire_many(6)

    assert len(leases) == 6
    assert set(ProviderLease.objects.values_list("pk", flat=True)) == {lease.pk for lease in leases}


@pytest.mark.django_db
def test_acquire_many_waits_for_one_slot_then_takes_the_free_ones(clock):
    governor = make_governor(clock, max_concurrency=3)
    busy = governor.acquire_many(3)

    def free_two(sleeps: int) -> None:
        if sleeps == 2:
            governor.release_many([(busy[0], "ok", ""), (busy[1], "ok", "")])

    clock.on_sleep = free_two
    leases = governor.acquire_many(3)

    assert len(leases) == 2
    assert len(clock.sleeps) == 2
    assert live_leases(clock) == 3


@pytest.mark.django_db
def test_acquire_many_takes_no_more_than_the_rate_limit_tokens(clock):
    governor = make_governor(clock, requests_per_minute=60, rate_burst=3)

    first = governor.acquire_many(5)
    second = governor.acquire_many(5)

    assert len(first) == 3
    # The bucket is empty: the next call waits a second for one token, and takes only that one.
    assert len(second) == 1
    assert len(clock.sleeps) == 1 and 1.0 <= clock.sleeps[0] <= 1.02


@pytest.mark.django_db
def test_acquire_many_sends_a_single_trial_call_when_half_open(clock):
    governor = make_governor(clock, breaker_threshold=1, breaker_cooldown_seconds=10)
    fail_times(governor, 1)
    clock.advance(10)

    leases = governor.acquire_many(4)

    assert [lease.probe for lease in leases] == [True]
    assert state_of().state == BreakerState.HALF_OPEN
    assert governor.try_acquire_many(4) == []


@pytest.mark.django_db
def test_acquire_many_rejects_asking_for_nothing(clock):
    with pytest.raises(ValueError, match="at least 1"):
        make_governor(clock).try_acquire_many(0)


@pytest.mark.django_db
def test_release_many_frees_every_slot_and_applies_the_outcomes_in_order(clock):
    governor = make_governor(clock, breaker_threshold=3)
    leases = governor.acquire_many(4)

    governor.release_many(
        [
            (leases[0], "failure", "HTTP 502"),
            (leases[1], "neutral", ""),
            (leases[2], "failure", "HTTP 503"),
            (leases[3], "failure", "read timeout"),
        ]
    )

    assert live_leases(clock) == 0
    assert all(lease.released for lease in leases)
    state = state_of()
    # Three failures in a row (the neutral one does not count): the breaker opened, naming the last.
    assert state.state == BreakerState.OPEN
    assert state.consecutive_failures == 3
    assert state.last_failure == "read timeout"


@pytest.mark.django_db
def test_release_many_with_a_success_last_resets_the_failures(clock):
    governor = make_governor(clock, breaker_threshold=5)
    leases = governor.acquire_many(3)

    governor.release_many(
        [(leases[0], "failure", "HTTP 500"), (leases[1], "failure", "HTTP 500"), (leases[2], "ok", "")]
    )

    assert state_of().consecutive_failures == 0
    assert state_of().state == BreakerState.CLOSED


@pytest.mark.django_db
def test_release_many_checks_every_outcome_before_releasing_any(clock):
    governor = make_governor(clock)
    first, second = governor.acquire_many(2)

    with pytest.raises(ValueError, match="outcome must be"):
        governor.release_many([(first, "ok", ""), (second, "bad", "")])

    assert live_leases(clock) == 2
    assert not first.released and not second.released


# --- circuit breaker --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_breaker_opens_after_the_threshold_and_refuses_with_the_last_reason(clock):
    governor = make_governor(clock, breaker_threshold=3, breaker_cooldown_seconds=60, wait_seconds=5)
    fail_times(governor, 2, reason="connection refused")
    assert state_of().state == BreakerState.CLOSED
    fail_times(governor, 1, reason="HTTP 503 Service Unavailable")
    opened_at = clock.now()

    with pytest.raises(ProviderUnavailable) as caught:
        governor.acquire()

    state = state_of()
    assert state.state == BreakerState.OPEN
    assert state.consecutive_failures == 3
    assert state.opened_at == opened_at
    assert caught.value.reason == "breaker_open"
    assert caught.value.message == (
        f"Teacher provider '{PROVIDER}' is unavailable: its circuit breaker opened after 3 consecutive failures "
        "(last: HTTP 503 Service Unavailable); try again later."
    )
    assert caught.value.retry_after == pytest.approx(55, abs=0.1)
    assert live_leases(clock) == 0


@pytest.mark.django_db
def test_an_acquire_waiting_through_the_cooldown_becomes_the_probe(clock):
    governor = make_governor(clock, breaker_threshold=1, breaker_cooldown_seconds=3, wait_seconds=10)
    fail_times(governor, 1)

    lease = governor.acquire()

    assert lease.probe is True
    assert 3.0 <= clock.elapsed <= 3.1
    assert state_of().state == BreakerState.HALF_OPEN


@pytest.mark.django_db
def test_after_the_cooldown_one_probe_goes_through_and_others_wait(clock):
    governor = make_governor(clock, breaker_threshold=3, breaker_cooldown_seconds=60, wait_seconds=2)
    fail_times(governor, 3)
    clock.advance(60)

    probe = governor.acquire()
    with pytest.raises(ProviderUnavailable) as caught:
        governor.acquire()

    assert probe.probe is True
    assert ProviderLease.objects.get(pk=probe.pk).probe is True
    assert state_of().state == BreakerState.HALF_OPEN
    assert caught.value.reason == "breaker_open"
    assert "a trial call is still running" in caught.value.message
    assert live_leases(clock) == 1


@pytest.mark.django_db
def test_a_successful_probe_closes_the_breaker(clock):
    governor = make_governor(clock, breaker_threshold=3, breaker_cooldown_seconds=60)
    fail_times(governor, 3)
    clock.advance(61)
    probe = governor.acquire()

    governor.release(probe, outcome="ok")

    state = state_of()
    assert state.state == BreakerState.CLOSED
    assert state.consecutive_failures == 0
    assert state.opened_at is None
    assert governor.acquire().probe is False
    assert governor.acquire().probe is False


@pytest.mark.django_db
def test_a_failed_probe_reopens_the_breaker_with_a_fresh_opened_at(clock):
    governor = make_governor(clock, breaker_threshold=3, breaker_cooldown_seconds=60, wait_seconds=0)
    fail_times(governor, 3)
    clock.advance(61)
    probe = governor.acquire()
    clock.advance(5)

    governor.release(probe, outcome="failure", reason="read timeout after 300 s")

    state = state_of()
    assert state.state == BreakerState.OPEN
    assert state.opened_at == clock.now()
    assert state.last_failure == "read timeout after 300 s"
    with pytest.raises(ProviderUnavailable, match=r"\(last: read timeout after 300 s\)") as caught:
        governor.acquire()
    assert caught.value.reason == "breaker_open"


@pytest.mark.django_db
def test_a_probe_whose_worker_died_is_replaced_after_its_ttl(clock):
    governor = make_governor(clock, breaker_threshold=1, lease_ttl_seconds=30, wait_seconds=0)
    fail_times(governor, 1)
    clock.advance(60)
    governor.acquire()  # the probe's worker dies without releasing
    with pytest.raises(ProviderUnavailable):
        governor.acquire()

    clock.advance(30)

    assert governor.acquire().probe is True


@pytest.mark.django_db
def test_a_success_resets_the_count_of_consecutive_failures(clock):
    governor = make_governor(clock, breaker_threshold=3)
    fail_times(governor, 2)
    governor.release(governor.acquire(), outcome="ok")
    fail_times(governor, 2)

    state = state_of()
    assert state.state == BreakerState.CLOSED
    assert state.consecutive_failures == 2


@pytest.mark.django_db
def test_a_late_success_of_a_call_from_before_the_opening_does_not_close_the_breaker(clock):
    governor = make_governor(clock, breaker_threshold=2)
    slow = governor.acquire()
    fail_times(governor, 2)

    governor.release(slow, outcome="ok")

    assert state_of().state == BreakerState.OPEN
    assert state_of().consecutive_failures == 2


@pytest.mark.django_db
def test_a_neutral_release_leaves_the_breaker_alone(clock):
    governor = make_governor(clock, breaker_threshold=3, breaker_cooldown_seconds=60)
    fail_times(governor, 2, reason="HTTP 502")
    governor.release(governor.acquire(), outcome="neutral", reason="cancelled by the user")
    assert state_of().consecutive_failures == 2
    assert state_of().last_failure == "HTTP 502"

    fail_times(governor, 1)
    clock.advance(60)
    probe = governor.acquire()
    governor.release(probe, outcome="neutral")

    assert state_of().state == BreakerState.HALF_OPEN
    assert live_leases(clock) == 0
    # The trial call was cancelled: the next caller becomes the probe.
    assert governor.acquire().probe is True


@pytest.mark.django_db
def test_releasing_twice_is_harmless(clock):
    governor = make_governor(clock, max_concurrency=1, breaker_threshold=5)
    lease = governor.acquire()

    governor.release(lease, outcome="failure", reason="HTTP 500")
    governor.release(lease, outcome="failure", reason="HTTP 500")

    assert state_of().consecutive_failures == 1
    assert live_leases(clock) == 0
    assert lease.released is True


@pytest.mark.django_db
def test_release_rejects_an_unknown_outcome(clock):
    governor = make_governor(clock)
    lease = governor.acquire()

    with pytest.raises(ValueError, match="outcome"):
        governor.release(lease, outcome="maybe")  # type: ignore[arg-type]

    assert live_leases(clock) == 1


@pytest.mark.django_db
def test_a_failure_reason_is_cut_to_300_characters(clock):
    governor = make_governor(clock)

    fail_times(governor, 1, reason="x" * 1000)

    assert state_of().last_failure == "x" * 300


# --- cancellation -----------------------------------------------------------------------------


class Cancelled(Exception):
    pass


@pytest.mark.django_db
def test_check_cancelled_is_asked_between_polls_and_its_error_propagates(clock):
    governor = make_governor(clock, max_concurrency=1, wait_seconds=600)
    governor.acquire()
    calls: list[int] = []

    def check_cancelled() -> None:
        calls.append(len(clock.sleeps))
        if len(calls) == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        governor.acquire(check_cancelled=check_cancelled)

    # Asked after each sleep, before the next poll.
    assert calls == [1, 2, 3]
    assert live_leases(clock) == 1


@pytest.mark.django_db
def test_check_cancelled_is_not_asked_when_a_slot_is_free(clock):
    def check_cancelled() -> None:
        raise AssertionError("no wait, no question")

    lease = make_governor(clock).acquire(check_cancelled=check_cancelled)

    assert isinstance(lease, Lease)


# --- no limits ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_cap_or_rate_limit_acquire_still_honours_the_breaker(clock):
    governor = make_governor(clock, breaker_threshold=1, wait_seconds=0)
    leases = [governor.acquire() for _ in range(20)]
    assert clock.sleeps == []
    assert live_leases(clock) == 20

    governor.release(leases[0], outcome="failure", reason="HTTP 503")

    with pytest.raises(ProviderUnavailable) as caught:
        governor.acquire()
    assert caught.value.reason == "breaker_open"


# --- policy from settings -------------------------------------------------------------------------


def test_policy_for_reads_the_provider_and_global_keys():
    config = {
        "LOCAL_CONCURRENCY": "8",
        "LOCAL_RATE_PER_MINUTE": "90",
        "BREAKER_THRESHOLD": "4",
        "BREAKER_COOLDOWN_SECONDS": "15",
        "LEASE_TTL_SECONDS": "12",
        "PROVIDER_WAIT_SECONDS": "30",
    }

    policy = policy_for("local", config)

    assert policy == ProviderPolicy(
        provider="local",
        max_concurrency=8,
        requests_per_minute=90.0,
        breaker_threshold=4,
        breaker_cooldown_seconds=15.0,
        lease_ttl_seconds=12.0,
        wait_seconds=30.0,
    )
    assert policy.burst == 8


def test_policy_for_uses_the_defaults_for_missing_and_empty_keys():
    policy = policy_for("openai", {"OPENAI_CONCURRENCY": "", "OPENAI_RATE_PER_MINUTE": ""})

    assert policy == ProviderPolicy(provider="openai", max_concurrency=None, requests_per_minute=None)
    assert (policy.breaker_threshold, policy.breaker_cooldown_seconds) == (5, 60)
    assert (policy.lease_ttl_seconds, policy.wait_seconds) == (30, 600)


def test_policy_for_falls_back_to_the_provider_default_when_the_cap_is_not_configured():
    # The local teacher serves one request at a time unless LOCAL_CONCURRENCY says otherwise.
    assert policy_for("local", {}).max_concurrency == 1
    assert policy_for("poe", {}).max_concurrency is None
    assert policy_for("poe", {"POE_CONCURRENCY": "3"}).max_concurrency == 3


def test_policy_for_reads_django_settings_by_default(settings):
    settings.ALAIN = {**settings.ALAIN, "POE_CONCURRENCY": "6", "POE_RATE_PER_MINUTE": "30"}

    policy = policy_for("poe")

    assert (policy.max_concurrency, policy.requests_per_minute) == (6, 30.0)


def test_the_demo_provider_has_no_cap_and_no_rate_limit():
    policy = policy_for("demo", {"DEMO_CONCURRENCY": "1", "DEMO_RATE_PER_MINUTE": "1"})

    assert policy.max_concurrency is None
    assert policy.requests_per_minute is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("LOCAL_CONCURRENCY", "many"),
        ("LOCAL_CONCURRENCY", "2.5"),
        ("LOCAL_CONCURRENCY", "-1"),
        ("LOCAL_RATE_PER_MINUTE", "fast"),
        ("BREAKER_THRESHOLD", "0"),
        ("LEASE_TTL_SECONDS", "0"),
    ],
)
def test_policy_for_rejects_bad_values_with_a_config_error(key, value):
    with pytest.raises(ProviderConfigError, match=key):
        policy_for("local", {key: value})


def test_the_default_burst_is_the_cap_bounded_by_the_rate():
    assert make_policy(requests_per_minute=60).burst == 1
    assert make_policy(requests_per_minute=60, max_concurrency=4).burst == 4
    assert make_policy(requests_per_minute=2, max_concurrency=4).burst == 2
    assert make_policy(requests_per_minute=0.5, max_concurrency=4).burst == 1


# --- snapshot and reset ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_snapshot_reports_the_breaker_and_live_leases(clock):
    assert provider_snapshot(PROVIDER, now=clock.now) == {
        "provider": PROVIDER,
        "state": "closed",
        "consecutive_failures": 0,
        "opened_at": None,
        "last_failure": "",
        "live_leases": 0,
        "probe_in_flight": False,
    }
    governor = make_governor(clock, breaker_threshold=2)
    governor.acquire()
    fail_times(governor, 2, reason="HTTP 503")

    snapshot = provider_snapshot(PROVIDER, now=clock.now)

    assert snapshot["state"] == "open"
    assert snapshot["consecutive_failures"] == 2
    assert snapshot["opened_at"] == clock.now().isoformat()
    assert snapshot["last_failure"] == "HTTP 503"
    assert snapshot["live_leases"] == 1
    json.dumps(snapshot)


@pytest.mark.django_db
def test_reset_closes_the_breaker_and_drops_expired_leases(clock):
    governor = make_governor(clock, breaker_threshold=1, lease_ttl_seconds=30, wait_seconds=0)
    governor.acquire()
    clock.advance(20)
    alive = governor.acquire()
    fail_times(governor, 1)
    clock.advance(15)

    reset_provider(PROVIDER, now=clock.now)

    state = state_of()
    assert (state.state, state.consecutive_failures, state.opened_at) == (BreakerState.CLOSED, 0, None)
    assert list(ProviderLease.objects.values_list("pk", flat=True)) == [alive.pk]
    assert governor.acquire().probe is False


# --- across processes (PostgreSQL) ----------------------------------------------------------------


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the cross-process tests need PostgreSQL (set DATABASE_URL=postgres://...)")


def worker_env() -> dict[str, str]:
    """The environment of a worker process, pointed at this test run's database."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    env["DJANGO_SETTINGS_MODULE"] = "alain_site.settings"
    return env


def start_worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.providers.governor_worker", *args],
        cwd=REPO_ROOT,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    # At equal times an end is counted before a start: touching intervals do not overlap.
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


@pytest.mark.django_db(transaction=True)
def test_the_cap_holds_across_worker_processes():
    needs_postgresql()
    start_at = time.time() + 4.0
    args = ["loop", "--provider", "xproc", "--cap", "3", "--iterations", "8", "--hold", "0.05"]
    workers = [start_worker(*args, "--start-at", str(start_at)) for _ in range(6)]
    try:
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
    intervals = [
        (record["start"], record["end"]) for stdout, _ in outputs for record in map(json.loads, stdout.splitlines())
    ]
    assert len(intervals) == 6 * 8
    assert max_overlap(intervals) == 3
    assert ProviderLease.objects.filter(provider="xproc").count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_slot_of_a_killed_worker_frees_after_its_ttl_and_not_before():
    needs_postgresql()
    ttl = 2.0
    worker = start_worker("hold", "--provider", "xkill", "--cap", "1", "--ttl", str(ttl))
    try:
        line = worker.stdout.readline()
        assert line, worker.stderr.read()
        held = ProviderLease.objects.get(pk=json.loads(line)["acquired"])
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        worker.stdout.close()
        worker.stderr.close()
    policy = ProviderPolicy(provider="xkill", max_concurrency=1, requests_per_minute=None, lease_ttl_seconds=ttl)

    with pytest.raises(ProviderUnavailable) as caught:
        ProviderGovernor(replace(policy, wait_seconds=0)).acquire()
    assert caught.value.reason == "saturated"
    assert timezone.now() < held.expires_at

    governor = ProviderGovernor(replace(policy, wait_seconds=10))
    lease = governor.acquire()

    assert timezone.now() >= held.expires_at
    assert lease.pk != held.pk
    governor.release(lease, outcome="ok")  # which also deletes the killed worker's expired row
    assert not ProviderLease.objects.filter(provider="xkill").exists()
