"""The refresh: notice that a manual's model card changed, rebuild the manual, file the new version.

For each manual (a run that published at least one version), `manual_refresh`:

1. skips a run that is queued or running: someone is rebuilding it already;
2. re-runs research only, never the teacher, to learn the card's revision now. A Hugging Face
   source has a commit sha, compared with the revision the last *published* version was built
   from (not the research record: a rebuild that failed half-way has already overwritten it).
   Pasted text and uploaded files are stored on the run and never change;
3. when the card changed, or when forced, queues the run again from its first stage and
   executes it here: research, outline and sections are written anew and the version goes
   through validation and publishing like any other;
4. publishing sends `version_validated`; the review app sees the open refresh record
   (`refresh_in_progress`) and files the version (`review.services.file_refreshed_version`):
   the same content as the live-approved version stays out of the queue and the approval stays
   (`identical`); anything else enters the queue, with a diff summary against the last approved
   version (`queued`). It reports back through `refresh_filed`, so generation never imports review.

One `RefreshRecord` per manual and refresh says what happened. The nightly schedule
(`alain-nightly-refresh`, off unless ALAIN_REFRESH_SCHEDULE holds a cron expression) queues one
background refresh per manual; `manage.py alain refresh` refreshes them one after the other.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import nbformat
from django.conf import settings
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from generation import services
from generation.models import Artifact, NotebookVersion, RefreshRecord, Run, RunStatus
from generation.pipeline import assembly
from generation.pipeline.errors import SourceError
from generation.pipeline.research import scout
from generation.pipeline.research.cache import ResearchCache
from generation.pipeline.research.config import config_from_settings
from generation.pipeline.research.refs import parse_hf_reference
from generation.pipeline.runner import ProgressFn, execute_run

if TYPE_CHECKING:
    from django_q.models import Schedule

    from providers.base import Teacher

logger = logging.getLogger(__name__)

Outcome = RefreshRecord.Outcome

SCHEDULE_NAME = "alain-nightly-refresh"
NIGHTLY_TASK = "generation.tasks.refresh_nightly"
MANUAL_TASK = "generation.tasks.refresh_manual"
TASK_GROUP = "alain-refresh"
BUSY = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class RefreshUsageError(ValueError):
    """An option of the refresh is invalid; the message says which and what is allowed."""


# --- what the review app tells refresh ----------------------------------------------------------

ApprovedRuns = Callable[[], QuerySet[Run]]
_approved_runs: ApprovedRuns | None = None


def register_approved_runs(query: ApprovedRuns) -> None:
    """Called by the review app at start-up: how to find the runs with a live approval.

    Approvals are review's; generation never imports review (DESIGN: review -> generation),
    so `--approved-only` asks through this hook.
    """
    global _approved_runs
    _approved_runs = query


# --- manuals and their versions -----------------------------------------------------------------


def manuals(*, approved_only: bool = False, since: datetime | None = None) -> QuerySet[Run]:
    """Runs that published at least one version, oldest first.

    `approved_only` keeps runs with a live approval; `since` keeps runs whose latest version
    (generated or edited) was made at or after that time.
    """
    published = Artifact.objects.filter(run=OuterRef("pk"), kind=Artifact.Kind.NOTEBOOK, version__isnull=False)
    runs = Run.objects.filter(Exists(published))
    if since is not None:
        runs = runs.annotate(last_version_at=Max("versions__created_at")).filter(last_version_at__gte=since)
    if approved_only:
        runs = runs.filter(pk__in=_approved_runs().values("pk")) if _approved_runs else runs.none()
    return runs.order_by("pk")


def last_published_version(run: Run) -> NotebookVersion | None:
    """The newest version the pipeline published (stored its artifacts); edits are never published."""
    published = Artifact.objects.filter(version=OuterRef("pk"), kind=Artifact.Kind.NOTEBOOK)
    return run.versions.filter(Exists(published)).order_by("-number").first()


def built_from_revision(version: NotebookVersion) -> str:
    """The card revision recorded in the version's metadata ("" for text and file sources)."""
    alain = json.loads(version.ipynb).get("metadata", {}).get("alain", {})
    return str(alain.get("revision", "")) if isinstance(alain, dict) else ""


def comparable_notebook(ipynb: str) -> nbformat.NotebookNode:
    """The notebook without what differs between two builds of the same content.

    That is the version number stamped in the metadata and the validator summary (it holds
    timings); the metadata cell that shows both is rendered again without them. Everything
    else, the card revision included, is content.
    """
    nb = nbformat.reads(ipynb, as_version=4)
    alain = nb.metadata.get("alain")
    if isinstance(alain, dict):
        alain["version"] = 0
    return assembly.set_validation_summary(nb, {})


def same_content(a: NotebookVersion, b: NotebookVersion) -> bool:
    """Whether two versions are the same manual (deterministic builds make this exact)."""
    return assembly.notebook_to_bytes(comparable_notebook(a.ipynb)) == assembly.notebook_to_bytes(
        comparable_notebook(b.ipynb)
    )


# --- the card now ---------------------------------------------------------------------------------


def card_revision_now(run: Run) -> str:
    """The commit the Hub serves for the run's model now; raises `SourceError` when it cannot say.

    Research runs with a zero cache TTL so the Hub is always asked; its answer refreshes the
    cache, so a rebuild that follows researches that same commit. A fallback to the cache
    (Hub down, offline mode) is not an answer: the card may have changed meanwhile.
    """
    config = replace(config_from_settings(), ttl_seconds=0)
    asked_at = config.clock()
    snapshot = scout.research_for_run(
        source_kind=run.source_kind,
        source_ref=run.source_ref,
        source_text=run.source_text,
        mode="standard",
        config=config,
    )
    ref = parse_hf_reference(run.source_ref, endpoint=config.endpoint or None)
    answer = ResearchCache(config.cache_dir).get_revision(config.hub_endpoint, ref.repo_id, ref.revision)
    if answer is None or answer.stored_at < asked_at:
        why = " ".join(snapshot.notes[-1:]) or "The Hugging Face Hub did not answer."
        raise SourceError(f"Whether the card changed is unknown: {why}", stage="research")
    return snapshot.revision_sha


def _has_revision(run: Run) -> bool:
    # Fallback research never contacts the Hub, so its runs are refreshed like pasted text.
    return run.source_kind == Run.SourceKind.HF and run.research_mode != Run.ResearchMode.FALLBACK


# --- one manual -----------------------------------------------------------------------------------


def refresh_in_progress(run: Run) -> RefreshRecord | None:
    """The refresh rebuilding this run now, if any: the review app files its version.

    A record left open by a refresh that died is ignored once the run's deadline has passed.
    """
    started_after = timezone.now() - timedelta(seconds=settings.ALAIN["RUN_DEADLINE_SECONDS"])
    return (
        RefreshRecord.objects.filter(run_id=run.pk, finished_at__isnull=True, started_at__gte=started_after)
        .order_by("-started_at", "-id")
        .first()
    )


def refresh_filed(
    *,
    record: RefreshRecord,
    version: NotebookVersion,
    outcome: str,
    compared_to: NotebookVersion | None,
    diff_summary: dict[str, Any],
    message: str,
) -> None:
    """Called by the review app once it filed the rebuilt version: `queued` or `identical`."""
    if outcome not in {Outcome.QUEUED, Outcome.IDENTICAL}:
        raise ValueError(f"a filed version is queued or identical, not {outcome!r}")
    _finish(record, outcome, message, version=version, compared_to=compared_to, diff_summary=diff_summary)
    services.run_event(
        run=version.run, kind=f"refresh_{outcome}", stage="publish", message=message, data={"refresh": record.pk}
    )


def _finish(record: RefreshRecord, outcome: str, message: str, **fields: Any) -> RefreshRecord:
    """Close the record once: a conditional UPDATE, so a late writer never overwrites the outcome."""
    changes = {"outcome": outcome, "message": message, "finished_at": timezone.now(), **fields}
    if RefreshRecord.objects.filter(pk=record.pk, finished_at__isnull=True).update(**changes):
        for key, value in changes.items():
            setattr(record, key, value)
    else:
        record.refresh_from_db()
    return record


def _close_abandoned(run: Run) -> None:
    """Records of refreshes that died past the run's deadline say so, instead of staying open."""
    cutoff = timezone.now() - timedelta(seconds=settings.ALAIN["RUN_DEADLINE_SECONDS"])
    RefreshRecord.objects.filter(run_id=run.pk, finished_at__isnull=True, started_at__lt=cutoff).update(
        outcome=Outcome.FAILED, finished_at=timezone.now(), message="The refresh stopped before it finished."
    )


@transaction.atomic
def _queue_rebuild(run: Run, *, reason: str) -> Run:
    """Queue the run again from its first stage, so research, outline and sections are redone."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status in BUSY:
        raise services.InvalidTransition(f"run {run.tutorial_id} is {run.status}")
    run.completed_stages = []
    Run.objects.filter(pk=run.pk).update(completed_stages=[])
    return services.run_requeue(run=run, reason=reason)


def manual_refresh(
    *,
    run: Run,
    force: bool = False,
    trigger: str = "command",
    requested_by: Any = None,
    teacher: Teacher | None = None,
    progress: ProgressFn | None = None,
) -> RefreshRecord:
    """Refresh one manual (see the module docstring) and return its record, finished."""
    record = RefreshRecord.objects.create(run=run, trigger=trigger, forced=force, requested_by=requested_by)
    try:
        return _refresh(record, run, force=force, teacher=teacher, progress=progress or (lambda stage, message: None))
    except Exception as exc:
        # A bug must not stop the other manuals' refresh; the record says where to look.
        logger.exception("the refresh of %s crashed", run.tutorial_id)
        return _finish(record, Outcome.FAILED, f"Internal error in the refresh ({type(exc).__name__}); see the log.")


def _refresh(
    record: RefreshRecord, run: Run, *, force: bool, teacher: Teacher | None, progress: ProgressFn
) -> RefreshRecord:
    run.refresh_from_db()
    if run.status in BUSY:
        return _finish(record, Outcome.SKIPPED, f"The run is {run.status}: it is being generated already.")
    _close_abandoned(run)
    built = last_published_version(run)
    previous = built_from_revision(built) if built else ""
    current = ""
    if _has_revision(run):
        progress("research", f"{run.tutorial_id}: asking the Hub for the card's revision")
        try:
            current = card_revision_now(run)
        except SourceError as exc:
            return _finish(record, Outcome.FAILED, exc.message, previous_revision=previous)
    changed = _has_revision(run) and current != previous
    RefreshRecord.objects.filter(pk=record.pk).update(
        previous_revision=previous, current_revision=current, card_changed=changed
    )
    record.previous_revision, record.current_revision, record.card_changed = previous, current, changed
    if not changed and not force:
        what = f"The card is still at {current[:12]}" if current else "The source is stored text"
        return _finish(record, Outcome.UNCHANGED, f"{what}; nothing was regenerated.")
    why = f"the card changed ({previous[:12] or '?'} -> {current[:12]})" if changed else "a forced refresh"
    try:
        _queue_rebuild(run, reason=f"Refresh: regenerated because of {why}.")
    except services.InvalidTransition:
        return _finish(record, Outcome.SKIPPED, "The run started generating meanwhile; it was left to that.")
    progress("research", f"{run.tutorial_id}: regenerating because of {why}")
    try:
        run = execute_run(run.pk, teacher=teacher, progress=progress)
    except services.InvalidTransition:
        # A worker claimed the queued run first (the watchdog gave it a task): it publishes the
        # version, which then enters the queue like any other.
        return _finish(record, Outcome.SKIPPED, "A worker took the run over; its new version goes to review.")
    record.refresh_from_db()
    if record.finished_at is not None:  # filed by the review app when the version was published
        if run.status == RunStatus.FAILED:
            record.message = f"{record.message} It fails validation: {run.error_message}"
            RefreshRecord.objects.filter(pk=record.pk).update(message=record.message)
        return record
    error = run.error_message or f"the run ended {run.status} without publishing a version"
    return _finish(record, Outcome.FAILED, f"The rebuild failed in stage {run.error_stage or run.stage}: {error}")


# --- every manual ----------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    records: list[RefreshRecord] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for record in self.records if record.outcome == outcome)

    @property
    def needs_approval(self) -> bool:
        return self.count(Outcome.QUEUED) > 0

    @property
    def failed(self) -> bool:
        return self.count(Outcome.FAILED) > 0

    def summary(self) -> str:
        counts = [f"{self.count(o)} {o}" for o in Outcome.values if self.count(o)]
        n = len(self.records)
        return f"{n} manual{'s' if n != 1 else ''} refreshed" + (f": {', '.join(counts)}." if counts else ".")


def refresh_manuals(
    *,
    approved_only: bool = False,
    since: datetime | None = None,
    force: bool = False,
    trigger: str = "command",
    requested_by: Any = None,
    teacher: Teacher | None = None,
    progress: ProgressFn | None = None,
) -> RefreshReport:
    """Refresh every manual in turn, each one with its own record (one failure stops nothing)."""
    report = RefreshReport()
    for run in manuals(approved_only=approved_only, since=since):
        report.records.append(
            manual_refresh(
                run=run, force=force, trigger=trigger, requested_by=requested_by, teacher=teacher, progress=progress
            )
        )
    return report


def queue_refreshes(*, trigger: str = "schedule") -> int:
    """Queue one background refresh per manual; returns how many.

    One task per manual rather than one for all: each is bounded like a run (its deadline),
    while a night with several changed cards would outlast any single task's timeout.
    """
    from django_q.tasks import async_task

    run_ids = list(manuals().values_list("pk", flat=True))
    for run_id in run_ids:
        async_task(MANUAL_TASK, run_id, trigger=trigger, task_name=f"alain-refresh-{run_id}", group=TASK_GROUP)
    return len(run_ids)


def record_as_dict(record: RefreshRecord) -> dict[str, Any]:
    return {
        "tutorial_id": record.run.tutorial_id,
        "outcome": record.outcome,
        "message": record.message,
        "trigger": record.trigger,
        "forced": record.forced,
        "card_changed": record.card_changed,
        "previous_revision": record.previous_revision,
        "current_revision": record.current_revision,
        "version": record.version.number if record.version else None,
        "compared_to": record.compared_to.number if record.compared_to else None,
        "diff_summary": record.diff_summary,
        "started_at": record.started_at.isoformat() if record.started_at else None,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }


_DURATION = re.compile(r"^(\d+)([hdw])$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `2w` (before now), or an ISO date or date-time; raises RefreshUsageError."""
    text = (text or "").strip()
    now = now or timezone.now()
    if match := _DURATION.match(text):
        number, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(**{_UNITS[unit]: number})
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise RefreshUsageError(f"--since {text[:30]!r} is neither a duration (7d, 12h, 2w) nor a date (2025-06-30)")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# --- the nightly schedule ---------------------------------------------------------------------------


def cron_problem(cron: str) -> str:
    """Why `cron` is not a usable five-field cron expression ("" when it is)."""
    try:
        from croniter import croniter
    except ImportError:
        return "croniter is not installed (`pip install croniter`)"
    if len(cron.split()) != 5:
        return "it needs five fields: minute hour day-of-month month day-of-week"
    if not croniter.is_valid(cron):
        return "croniter cannot read it"
    return ""


def check_refresh_schedule(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """System check alain.E004: ALAIN_REFRESH_SCHEDULE is empty or a valid cron expression."""
    cron = str(settings.ALAIN.get("REFRESH_SCHEDULE", "")).strip()
    problem = cron_problem(cron) if cron else ""
    if not problem:
        return []
    return [
        Error(
            f"ALAIN_REFRESH_SCHEDULE {cron!r} is not a cron expression: {problem}.",
            hint="Use five fields, e.g. '0 3 * * *' for 03:00 every day (TIME_ZONE), or leave it empty (off).",
            id="alain.E004",
        )
    ]


def sync_refresh_schedule(*, cron: str | None = None, using: str = "default") -> Schedule | None:
    """Make the django-q2 schedule `alain-nightly-refresh` match the setting; returns it, or None when off.

    Empty (the default) deletes it; a cron expression creates it or updates it, with its next
    run computed from the expression.
    """
    from django_q.models import Schedule

    cron = (str(settings.ALAIN.get("REFRESH_SCHEDULE", "")) if cron is None else cron).strip()
    schedules = Schedule.objects.using(using).filter(name=SCHEDULE_NAME)
    if not cron:
        schedules.delete()
        return None
    if problem := cron_problem(cron):
        raise ImproperlyConfigured(f"ALAIN_REFRESH_SCHEDULE {cron!r} is not a cron expression: {problem}")
    wanted = {"func": NIGHTLY_TASK, "schedule_type": Schedule.CRON, "cron": cron, "repeats": -1}
    schedule = schedules.order_by("pk").first()
    if schedule is None:
        schedule = Schedule(name=SCHEDULE_NAME, **wanted)
    elif any(getattr(schedule, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(schedule, key, value)
        schedule.next_run = schedule.calculate_next_run()
    else:
        return schedule
    schedule.save(using=using)  # a new cron schedule gets its next run from django-q2 here
    schedules.exclude(pk=schedule.pk).delete()
    return schedule


def on_post_migrate(sender: Any, *, using: str = "default", **kwargs: Any) -> None:
    """Receiver of post_migrate for the generation app: every deploy runs `migrate`, so the
    schedule follows ALAIN_REFRESH_SCHEDULE from the next deploy on."""
    sync_refresh_schedule(using=using)
