"""django-q2 task entry points: thin wrappers around the services that do the work."""

from __future__ import annotations

import logging

from alain_site.observability import context as log_context
from generation import queueing, refresh, retention, services
from generation.models import Run
from generation.pipeline.runner import execute_run

logger = logging.getLogger(__name__)


def run_pipeline(run_id: int, request_id: str = "") -> str:
    """Execute (or resume) a run. A delivery for a run that ended or is alive elsewhere does nothing.

    `request_id` is the id of the web request that queued it, for the log lines.
    """
    with log_context.bound(request_id=request_id):
        try:
            run = execute_run(run_id)
        except services.InvalidTransition as exc:
            logger.info("task for run %s skipped: %s", run_id, exc)
            return f"skipped: {exc}"
    return f"{run.tutorial_id}: {run.status}"


def watchdog() -> str:
    """Scheduled every ALAIN WATCHDOG_MINUTES: hand back or end runs that nobody works on."""
    return queueing.watchdog().summary


def revalidate_version(version_id: int) -> str:
    """Validate a stored notebook version again (queued from the admin or the review pages)."""
    return queueing.revalidate(version_id)


def validate_job(job_id: int) -> str:
    """Execute a validation asked for over the API (POST /api/validate with execute=true)."""
    from generation.validation_jobs import validation_job_run

    return validation_job_run(job_id)


def purge_expired() -> str:
    """Apply the retention policy (generation/retention.py) and say what went.

    ALAIN schedules no purge itself: deleting data is the operator's call. To run it daily, add
    a django-q2 Schedule for `generation.tasks.purge_expired` (admin, Scheduled tasks), or run
    `manage.py alain purge` from cron.
    """
    return retention.retention_purge().summary()


def refresh_nightly() -> str:
    """Scheduled by ALAIN_REFRESH_SCHEDULE (`alain-nightly-refresh`): one refresh task per manual."""
    return f"{refresh.queue_refreshes(trigger='schedule')} manual(s) queued for a refresh"


def refresh_manual(run_id: int, trigger: str = "schedule") -> str:
    """Refresh one manual: research again, rebuild when its card changed, file the new version."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return f"skipped: there is no run {run_id}"
    record = refresh.manual_refresh(run=run, trigger=trigger)
    return f"{run.tutorial_id}: {record.outcome}"
