"""Runs as django-q2 background work: queueing, the worker's heartbeat and the watchdog.

django-q2 alone delivers a task at least once and, when a task kills its worker, forever
(FIELD_NOTES). So the run row is the source of truth: a worker claims a run with one
conditional UPDATE (`services.run_claim`), beats a heartbeat while it works, and a run whose
heartbeat stopped is taken over by the next delivery or handed back by the watchdog. A
redelivered task for a run that someone else is running, or that ended, does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from alain_site.observability import context as log_context
from generation import services
from generation.models import NotebookVersion, Run, RunStatus

logger = logging.getLogger(__name__)

RUN_TASK = "generation.tasks.run_pipeline"
TASK_GROUP = "alain-runs"


def worker_id() -> str:
    """Who runs a run: host and process, shown to operators and used to own the claim."""
    return f"{socket.gethostname()}:{os.getpid()}"


def task_name(run: Run) -> str:
    return f"alain-run-{run.pk}"


def broker_shares_the_database() -> bool:
    # With the ORM broker on the runs' database, the task row commits or rolls back together
    # with the run row; with any other broker the task is pushed only after the commit.
    cluster = getattr(settings, "Q_CLUSTER", {})
    return cluster.get("orm") == "default" and not cluster.get("redis")


def enqueue_run(run: Run) -> None:
    """Queue a task that executes the run (call it in the transaction that queued the run)."""
    from django_q.tasks import async_task

    Run.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())

    # The worker's log lines for this run carry the id of the request that queued it.
    request_id = log_context.get("request_id")

    def push() -> None:
        async_task(RUN_TASK, run.pk, request_id=request_id, task_name=task_name(run), group=TASK_GROUP)

    if broker_shares_the_database():
        push()
    else:
        transaction.on_commit(push)


@transaction.atomic
def queue_new_run(
    *, source: services.RunSource, options: services.RunOptions, subject: str = "", created_by=None, team=None
) -> Run:
    """Create a run and its task in one transaction: there is never one without the other."""
    run = services.run_create(source=source, options=options, subject=subject, created_by=created_by, team=team)
    enqueue_run(run)
    return run


@transaction.atomic
def retry_run(run: Run, *, reason: str = "Retried from the failed stage.") -> Run:
    """Queue a failed or cancelled run again; it resumes at its first unfinished stage."""
    services.run_retry(run=run, reason=reason)
    enqueue_run(run)
    return run


@transaction.atomic
def regenerate_section(run: Run, *, index: int, instruction: str = "") -> Run:
    """Write one section again (optionally following a person's instruction) in the background."""
    run = services.section_regenerate(run=run, index=index, instruction=instruction)
    enqueue_run(run)
    return run


REVALIDATE_TASK = "generation.tasks.revalidate_version"


def queue_revalidation(version: NotebookVersion) -> None:
    """Validate a stored version again in the background (execution takes a sandbox and minutes)."""
    from django_q.tasks import async_task

    services.run_event(
        run=version.run,
        kind="revalidation_queued",
        stage="validation",
        message=f"Version {version.number} queued for validation again.",
    )
    transaction.on_commit(
        lambda: async_task(REVALIDATE_TASK, version.pk, task_name=f"alain-revalidate-{version.pk}", group=TASK_GROUP)
    )


def revalidate(version_id: int) -> str:
    """Run every validator on a stored version again (with execution when its run executes) and store the findings."""
    from generation.pipeline.checking import check_version

    version = NotebookVersion.objects.select_related("run").get(pk=version_id)
    report = check_version(version, execute=version.run.execute, config=settings.ALAIN)
    version.refresh_from_db()
    verdict = "passed" if version.passed else "failed"
    counts = ", ".join(f"{n} {severity}" for severity, n in report.counts().items())
    message = f"Version {version.number} validated again: {verdict} ({counts})."
    services.run_event(run=version.run, kind="revalidated", stage="validation", message=message)
    return message


class Heartbeat:
    """A thread that tells the database every few seconds that this worker is alive.

    It also renews the provider leases this process holds, so a live worker keeps its slots
    and a dead one loses them within the lease TTL. The thread uses its own connection and
    never raises: a missed beat only makes the run look stale sooner.
    """

    def __init__(self, run_id: int, worker: str, interval: float) -> None:
        self.run_id = run_id
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"alain-heartbeat-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def beat(self) -> None:
        from providers.governor import renew_leases_of_process

        services.run_heartbeat(run_id=self.run_id, worker=self.worker)
        renew_leases_of_process()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # the database may be restarting: try again next beat
                    logger.warning("heartbeat of run %s failed", self.run_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()


@contextmanager
def heartbeat(run_id: int, worker: str) -> Iterator[None]:
    """Beat for the run while the block runs (off when RUN_HEARTBEAT_SECONDS is 0, as in unit tests)."""
    interval = float(settings.ALAIN.get("RUN_HEARTBEAT_SECONDS", 10))
    if interval <= 0:
        yield
        return
    beat = Heartbeat(run_id, worker, interval)
    beat.start()
    try:
        yield
    finally:
        beat.stop()


@dataclass
class WatchdogReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reenqueued: list[str] = field(default_factory=list)
    validations_failed: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{len(self.requeued)} stalled run(s) queued again, {len(self.failed)} failed, "
            f"{len(self.reenqueued)} queued run(s) given a new task, "
            f"{len(self.validations_failed)} abandoned validation job(s) failed"
        )


def _queued_task_names() -> set[str] | None:
    """Names of the tasks waiting in the ORM broker's queue, or None with another broker."""
    if not broker_shares_the_database():
        return None
    from django_q.models import OrmQ

    names = set()
    for row in OrmQ.objects.all():
        try:
            names.add(row.name())
        except Exception:  # a payload signed with another key: not ours to judge
            continue
    return names


def watchdog(*, now: datetime | None = None) -> WatchdogReport:
    """Find runs that nobody is working on and hand them back or end them, saying why.

    - running, heartbeat stale (its worker died): queued again with a new task, or failed once
      it has been delivered RUN_MAX_DELIVERIES times (a run that kills its worker);
    - running past RUN_DEADLINE_SECONDS since its claim: failed (its worker stops at its next check);
    - queued with no task in the broker's queue (lost, e.g. purged): given a new task.
    """
    config = settings.ALAIN
    now = now or timezone.now()
    report = WatchdogReport()
    stale = now - timedelta(seconds=config["RUN_STALE_SECONDS"])
    silent = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True)
    for run in Run.objects.filter(silent, status=RunStatus.RUNNING):
        try:
            if run.deliveries >= config["RUN_MAX_DELIVERIES"]:
                services.run_set_status(
                    run=run,
                    status=RunStatus.FAILED,
                    error=lost_worker_message(run),
                    error_kind="internal",
                )
                report.failed.append(run.tutorial_id)
            else:
                # Read before the status change: queueing a run clears `claimed_by` on it too.
                lost_worker = run.claimed_by or "?"
                with transaction.atomic():
                    services.run_set_status(run=run, status=RunStatus.QUEUED)
                    services.run_event(
                        run=run,
                        kind="requeued",
                        stage=run.stage,
                        level="warning",
                        message=f"The worker {lost_worker} stopped beating in stage {run.stage}; "
                        "the run was queued again and resumes there.",
                    )
                    enqueue_run(run)
                report.requeued.append(run.tutorial_id)
        except services.InvalidTransition:
            continue  # it changed meanwhile (finished, cancelled, taken over): nothing to do
    deadline = now - timedelta(seconds=config["RUN_DEADLINE_SECONDS"])
    for run in Run.objects.filter(status=RunStatus.RUNNING, claimed_at__lt=deadline):
        try:
            minutes = round(config["RUN_DEADLINE_SECONDS"] / 60)
            services.run_set_status(
                run=run,
                status=RunStatus.FAILED,
                error=f"The run exceeded its deadline of {minutes} minutes in stage {run.stage}; retry it.",
                error_kind="internal",
            )
            report.failed.append(run.tutorial_id)
        except services.InvalidTransition:
            continue
    waiting = _queued_task_names()
    grace = now - timedelta(seconds=config["QUEUE_GRACE_SECONDS"])
    for run in Run.objects.filter(status=RunStatus.QUEUED).filter(Q(enqueued_at__lt=grace) | Q(enqueued_at=None)):
        if waiting is not None and task_name(run) in waiting:
            continue
        enqueue_run(run)
        report.reenqueued.append(run.tutorial_id)
    from generation.validation_jobs import end_abandoned_jobs

    report.validations_failed = end_abandoned_jobs(now=now, waiting=waiting)
    if report.requeued or report.failed or report.reenqueued or report.validations_failed:
        logger.warning("watchdog: %s", report.summary)
    return report


def lost_worker_message(run: Run) -> str:
    return (
        f"The run was started {run.deliveries} times and its worker stopped each time before finishing "
        f"(last in stage {run.stage or 'research'}); it is not tried again automatically. "
        "Look at the worker's log, then retry it."
    )
