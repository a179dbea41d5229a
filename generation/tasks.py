"""django-q2 task entry points: thin wrappers around the services that do the work."""

from __future__ import annotations

import logging

from alain_site.observability import context as log_context
from generation import queueing, services
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
