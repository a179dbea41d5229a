"""Teacher jobs run in a bounded thread pool, each holding a provider slot while it runs.

The caller's thread owns the database: it takes a slot from the provider governor before a job
starts, gives it back (with how the provider fared, for the circuit breaker) when the job ends,
and checks for cancellation while it waits. Job threads only talk to the teacher; they learn of
a cancellation through an event and stop before their next attempt.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from generation.pipeline.errors import RunCancelled
from generation.pipeline.structured import CallRecord, StructuredCallFailed, StructuredResult
from providers.base import Teacher
from providers.governor import UNGOVERNED_PROVIDERS, Lease, Outcome, ProviderGovernor, policy_for

# A job is called with `check_cancelled`, which raises RunCancelled once the run is stopped.
Job = Callable[..., StructuredResult]

# How often the caller's thread looks at finished jobs, free slots and cancellation.
POLL_SECONDS = 0.1
CANCEL_CHECK_SECONDS = 1.0
# HTTP attempt outcomes that mean the provider itself failed (they drive the breaker); a 4xx
# or an unusable reply says nothing about the provider's health.
_PROVIDER_FAILURES = frozenset({"server_error", "timeout", "connection", "rate_limited"})


@dataclass
class JobOutcome:
    """The result of one concurrent teacher job: a section index, "wrapup" or "outline"."""

    key: int | str
    result: StructuredResult | None = None
    error: StructuredCallFailed | None = None

    @property
    def calls(self) -> list[CallRecord]:
        if self.result is not None:
            return self.result.calls
        return self.error.calls if self.error is not None else []

    def provider_health(self) -> tuple[Outcome, str]:
        """("ok" | "failure" | "neutral", reason) for the provider's circuit breaker."""
        if self.result is not None:
            return "ok", ""
        calls = self.calls
        last = calls[-1] if calls else None
        if last is None or last.outcome != "provider_error":
            return "ok", ""  # the provider answered; the replies were unusable
        http = last.http_attempts[-1] if last.http_attempts else {}
        if http.get("outcome") in _PROVIDER_FAILURES:
            return "failure", last.error[:300]
        return "neutral", ""


def governor_for(teacher: Teacher) -> ProviderGovernor | None:
    """The slot keeper for a teacher's provider (None for the in-process demo teacher)."""
    if teacher.key in UNGOVERNED_PROVIDERS:
        return None
    return ProviderGovernor(policy_for(teacher.key))


def run_concurrently(
    jobs: dict[int | str, Job],
    *,
    concurrency: int,
    governor: ProviderGovernor | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> Iterator[JobOutcome]:
    """Run teacher jobs in a bounded pool; yield each outcome as soon as it is ready (see `run_in_batches`)."""
    for batch in run_in_batches(jobs, concurrency=concurrency, governor=governor, check_cancelled=check_cancelled):
        yield from batch


def run_in_batches(
    jobs: dict[int | str, Job],
    *,
    concurrency: int,
    governor: ProviderGovernor | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> Iterator[list[JobOutcome]]:
    """Run teacher jobs in a bounded pool; yield the outcomes of the jobs that ended together.

    A caller that stores outcomes can store each batch in one transaction: with a fast teacher
    several jobs end at once, and every round trip to the database counts.

    With a governor, a job starts only once it holds a provider slot. While jobs are in flight
    a slot is only tried for (never waited on: our own finished jobs may hold the slots); with
    none in flight the caller waits in `governor.acquire()`, which gives up with
    ProviderUnavailable after the policy's wait.
    """
    if not jobs:
        return
    workers = max(1, min(concurrency, len(jobs)))
    waiting = list(jobs.items())
    stopped = threading.Event()

    def job_check() -> None:
        if stopped.is_set():
            raise RunCancelled("The run was stopped.")

    pending: dict[Future[StructuredResult], tuple[int | str, Lease | None]] = {}
    last_check = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alain-teacher") as pool:
        try:
            while waiting or pending:
                free = min(len(waiting), workers - len(pending))
                if free:
                    # Every free worker's slot in one decision of the governor (one transaction).
                    leases: list[Lease | None]
                    if governor is None:
                        leases = [None] * free
                    elif pending:
                        leases = list(governor.try_acquire_many(free))
                    else:
                        leases = list(governor.acquire_many(free, check_cancelled=check_cancelled))
                    for lease in leases:
                        key, job = waiting.pop(0)
                        # A copy of the caller's context: the job's log lines name the run and stage.
                        job_context = contextvars.copy_context()
                        pending[pool.submit(job_context.run, job, check_cancelled=job_check)] = (key, lease)
                done, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                if done:
                    yield _finish([(future, *pending.pop(future)) for future in done], governor)
                if check_cancelled is not None and time.monotonic() - last_check >= CANCEL_CHECK_SECONDS:
                    last_check = time.monotonic()
                    check_cancelled()
        finally:
            # Stopped (cancelled, lost, error, or the caller stopped listening): jobs in flight
            # end before their next attempt; their slots go back without judging the provider.
            stopped.set()
            for future in pending:
                future.cancel()
            held = [(future, lease) for future, (_, lease) in pending.items() if lease is not None]
            for future, _ in held:
                _wait_quietly(future)
            if held and governor is not None:
                governor.release_many([(lease, "neutral", "") for _, lease in held])


def _finish(
    finished: list[tuple[Future[StructuredResult], int | str, Lease | None]], governor: ProviderGovernor | None
) -> list[JobOutcome]:
    """The outcomes of jobs that ended together, after their slots went back in one transaction.

    A job that crashed (a bug, not a teacher failure) is raised once every slot went back.
    """
    outcomes: list[JobOutcome] = []
    releases: list[tuple[Lease, Outcome, str]] = []
    crash: BaseException | None = None
    for future, key, lease in finished:
        try:
            outcome = JobOutcome(key=key, result=future.result())
        except StructuredCallFailed as exc:
            outcome = JobOutcome(key=key, error=exc)
        except BaseException as exc:  # a bug in a job: its slot goes back, then the error is raised
            crash = crash or exc
            if lease is not None:
                releases.append((lease, "neutral", ""))
            continue
        outcomes.append(outcome)
        if lease is not None:
            health, reason = outcome.provider_health()
            releases.append((lease, health, reason))
    if releases and governor is not None:
        governor.release_many(releases)
    if crash is not None:
        raise crash
    return outcomes


def _wait_quietly(future: Future[StructuredResult]) -> None:
    if future.cancelled():
        return
    try:
        future.result()
    except BaseException:  # the job's own error was already reported or no longer matters
        return
