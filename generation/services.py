"""Services that change a run's state. Entry points (CLI, tasks, API, admin) call these."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from generation.models import STAGES, Run, RunEvent, RunStatus, Section
from generation.pipeline.research.snapshot import RESEARCH_MODES
from prompts import limits
from prompts.specs import DIFFICULTIES


class RunOptionsError(ValueError):
    """An option a user gave is invalid; the message says which and what is allowed."""


class InvalidTransition(Exception):
    """A status change that the run's rules forbid, or that lost a race with another process."""


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class RunSource:
    kind: str  # "hf", "text", "file"
    ref: str = ""  # model reference or file name
    text: str = ""  # pasted / uploaded text


@dataclass(frozen=True)
class RunOptions:
    provider: str
    teacher_model: str
    base_url: str = ""
    difficulty: str = "beginner"
    language: str = "en"
    research_mode: str = "standard"
    max_sections: int = limits.STEPS_DEFAULT
    execute: bool = True
    prompt_versions: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.difficulty not in DIFFICULTIES:
            raise RunOptionsError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {self.difficulty!r}")
        if self.research_mode not in RESEARCH_MODES:
            raise RunOptionsError(
                f"research mode must be one of {', '.join(RESEARCH_MODES)}, not {self.research_mode!r}"
            )
        if not _LANGUAGE.match(self.language):
            raise RunOptionsError(f"language must be an ISO code such as 'en' or 'pt-BR', not {self.language!r}")
        if not limits.STEPS_MIN <= self.max_sections <= limits.STEPS_MAX:
            raise RunOptionsError(
                f"max sections must be between {limits.STEPS_MIN} and {limits.STEPS_MAX}, not {self.max_sections}"
            )
        if not self.provider or not self.teacher_model:
            raise RunOptionsError("a teacher provider and a teacher model are required")


def make_tutorial_id(subject: str) -> str:
    """A readable, unique id: the subject's slug plus a random suffix."""
    base = slugify(re.sub(r"[/._@]+", "-", subject))[:80].strip("-") or "manual"
    return f"{base}-{secrets.token_hex(3)}"


@transaction.atomic
def run_create(
    *, source: RunSource, options: RunOptions, subject: str = "", created_by: Any = None, team: Any = None
) -> Run:
    """Create a queued run from a validated source and options."""
    options.validate()
    if source.kind not in Run.SourceKind.values:
        raise RunOptionsError(f"unknown source kind {source.kind!r}")
    subject = subject or source.ref or "pasted text"
    run = Run.objects.create(
        tutorial_id=make_tutorial_id(subject),
        created_by=created_by,
        team=team,
        source_kind=source.kind,
        source_ref=source.ref[:500],
        source_text=source.text,
        subject_model=subject[:200],
        teacher_provider=options.provider,
        teacher_model=options.teacher_model,
        teacher_base_url=options.base_url,
        difficulty=options.difficulty,
        language=options.language,
        research_mode=options.research_mode,
        max_sections=options.max_sections,
        execute=options.execute,
        prompt_versions=dict(options.prompt_versions),
    )
    run_event(run=run, kind="created", message=f"Run created for {subject} with teacher {options.teacher_model}.")
    return run


def run_set_status(
    *, run: Run, status: str, error: str = "", error_kind: str = "", error_stage: str = "", expected: str | None = None
) -> Run:
    """Move a run to `status` if its rules allow it, as one conditional UPDATE.

    The UPDATE is conditioned on the status we read, so two processes racing to change the
    same run cannot both win; the loser gets InvalidTransition.
    """
    current = expected or run.status
    allowed = Run.ALLOWED_TRANSITIONS.get(current, frozenset())
    if status not in allowed:
        raise InvalidTransition(f"a {current} run cannot become {status}")
    now = timezone.now()
    changes: dict[str, Any] = {"status": status, "updated_at": now}
    if status == RunStatus.RUNNING:
        changes["started_at"] = run.started_at or now
        changes["error_stage"] = changes["error_kind"] = changes["error_message"] = ""
    if status in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}:
        changes["finished_at"] = now
    if status == RunStatus.QUEUED:
        changes["finished_at"] = None
        changes["claimed_by"] = ""
    if status == RunStatus.FAILED:
        changes["error_message"] = error
        changes["error_kind"] = error_kind
        changes["error_stage"] = error_stage or run.stage
    level = RunEvent.Level.ERROR if status == RunStatus.FAILED else RunEvent.Level.INFO
    message = f"Run {status}." + (f" {error}" if error else "")
    # The change and its event are one commit (each commit waits for PostgreSQL's disk flush).
    # No savepoint when a caller's transaction is open, and InvalidTransition is raised outside
    # the block, so a caller that catches it can go on with its transaction.
    with transaction.atomic(savepoint=False):
        updated = Run.objects.filter(pk=run.pk, status=current).update(**changes)
        if updated == 1:
            run_event(run=run, kind=f"status_{status}", message=message, level=level, stage=run.stage)
    if updated != 1:
        raise InvalidTransition(f"run {run.tutorial_id} is no longer {current}")
    for key, value in changes.items():
        setattr(run, key, value)
    return run


def run_event(
    *, run: Run, kind: str, message: str, stage: str = "", level: str = "info", data: dict | None = None
) -> RunEvent:
    return RunEvent.objects.create(run=run, kind=kind, message=message, stage=stage, level=level, data=data or {})


@dataclass(frozen=True)
class StageDone:
    """A stage that just completed, waiting to be recorded with the start of the next one."""

    stage: str
    elapsed_ms: int
    note: str = ""


def run_stage_advance(*, run: Run, worker: str, done: StageDone | None = None, starting: str | None = None) -> bool:
    """Record that stage `done` completed and stage `starting` starts, in one UPDATE of the run.

    Both happen at every stage boundary (a run has eight), so they share the statement, and the
    statement and both events share one commit. Starting is conditioned on the run still running
    in `worker`: False, and nothing started, when it was cancelled, ended or taken over
    meanwhile. The completion is recorded either way (its results are saved; a resumed run must
    not redo the stage).
    """
    changes: dict[str, Any] = {"updated_at": timezone.now()}
    events: list[RunEvent] = []
    if done is not None:
        events.append(_record_completion(run, done, changes))
    started = False
    with transaction.atomic(savepoint=False):
        if starting is not None:
            owned = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, claimed_by=worker)
            started = bool(owned.update(stage=starting, **changes))
        if done is not None and not started:
            Run.objects.filter(pk=run.pk).update(**changes)
        if started:
            events.append(RunEvent(run=run, kind="stage_started", stage=starting, message=f"Stage {starting} started."))
        if events:
            RunEvent.objects.bulk_create(events)
    if done is not None:
        run.completed_stages, run.stage_timings = changes["completed_stages"], changes["stage_timings"]
    if started:
        run.stage = starting
    return started or starting is None


def run_succeed(*, run: Run, worker: str, done: StageDone | None = None) -> bool:
    """Record that the last stage `done` completed and the run succeeded: one UPDATE, one commit.

    Conditioned on the run still running in `worker`: False, and nothing recorded, when it was
    cancelled, ended or taken over meanwhile (the caller records `done` on its own then).
    """
    now = timezone.now()
    changes: dict[str, Any] = {"status": RunStatus.SUCCEEDED, "updated_at": now, "finished_at": now}
    events = [] if done is None else [_record_completion(run, done, changes)]
    events.append(RunEvent(run=run, kind=f"status_{RunStatus.SUCCEEDED}", stage=run.stage, message="Run succeeded."))
    with transaction.atomic(savepoint=False):
        owned = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, claimed_by=worker)
        succeeded = bool(owned.update(**changes))
        if succeeded:
            RunEvent.objects.bulk_create(events)
    if succeeded:
        for key, value in changes.items():
            setattr(run, key, value)
    return succeeded


def _record_completion(run: Run, done: StageDone, changes: dict[str, Any]) -> RunEvent:
    """Add the completion of stage `done` to a run's `changes`; returns its event, not saved yet."""
    if done.stage not in STAGES:
        raise ValueError(f"unknown stage {done.stage!r}")
    completed = [s for s in run.completed_stages if s != done.stage] + [done.stage]
    changes["completed_stages"] = sorted(completed, key=STAGES.index)
    changes["stage_timings"] = {**run.stage_timings, done.stage: done.elapsed_ms}
    message = f"Stage {done.stage} completed in {done.elapsed_ms} ms." + (f" {done.note}" if done.note else "")
    return RunEvent(
        run=run, kind="stage_completed", stage=done.stage, message=message, data={"elapsed_ms": done.elapsed_ms}
    )


def run_claim(*, run_id: int, worker: str, stale_after_seconds: float) -> Run | None:
    """Take a run for `worker`: a queued run, or a running one whose worker stopped beating.

    One conditional UPDATE decides, so a task delivered twice (django-q2 redelivers after
    `retry`) or two clusters racing can never both run it. Returns None when the run is not
    claimable: finished, cancelled, or alive in another worker.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=stale_after_seconds)
    silent = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True)
    claimable = Q(status=RunStatus.QUEUED) | (Q(status=RunStatus.RUNNING) & silent)
    # The claim, the read of the claimed row and its event are one commit.
    with transaction.atomic(savepoint=False):
        updated = Run.objects.filter(claimable, pk=run_id).update(
            status=RunStatus.RUNNING,
            claimed_by=worker,
            claimed_at=now,
            heartbeat_at=now,
            attempt_count=F("attempt_count") + 1,
            deliveries=F("deliveries") + 1,
            started_at=Coalesce("started_at", now),
            finished_at=None,
            error_stage="",
            error_kind="",
            error_message="",
            updated_at=now,
        )
        if updated != 1:
            return None
        run = Run.objects.get(pk=run_id)
        run_event(
            run=run,
            kind="status_running",
            stage=run.stage,
            message=f"Run claimed by worker {worker} (execution {run.attempt_count}).",
            data={"worker": worker, "deliveries": run.deliveries},
        )
    return run


def run_heartbeat(*, run_id: int, worker: str) -> bool:
    """Record that `worker` is still working on the run; False when it no longer owns it."""
    now = timezone.now()
    return bool(Run.objects.filter(pk=run_id, status=RunStatus.RUNNING, claimed_by=worker).update(heartbeat_at=now))


def run_cancel(*, run: Run, reason: str = "") -> Run:
    """Cancel a queued or running run; a worker running it stops at its next check."""
    if run.status not in {RunStatus.QUEUED, RunStatus.RUNNING}:
        raise InvalidTransition(f"run {run.tutorial_id} is {run.status}; only a queued or running run can be cancelled")
    run_set_status(run=run, status=RunStatus.CANCELLED)
    if reason:
        run_event(run=run, kind="note", stage=run.stage, message=f"Cancelled: {reason}")
    return run


@transaction.atomic
def run_requeue(*, run: Run, reason: str) -> Run:
    """Queue a failed, cancelled or succeeded run again; it resumes at its first unfinished stage.

    A person's retry resets the delivery count: the bound on worker deaths is per request.
    """
    run_set_status(run=run, status=RunStatus.QUEUED)
    Run.objects.filter(pk=run.pk).update(deliveries=0)
    run.deliveries = 0
    run_event(run=run, kind="requeued", stage=run.stage, message=reason)
    return run


def run_retry(*, run: Run, reason: str = "Retried from the failed stage.") -> Run:
    """Queue a failed or cancelled run again from its first unfinished stage."""
    if run.status not in {RunStatus.FAILED, RunStatus.CANCELLED}:
        raise InvalidTransition(f"run {run.tutorial_id} is {run.status}; only a failed or cancelled run can be retried")
    return run_requeue(run=run, reason=reason)


@transaction.atomic
def section_regenerate(*, run: Run, index: int, instruction: str = "") -> Run:
    """Mark one section for a new writing (with an optional instruction) and queue the run.

    The stages from `sections` on run again: the other sections are reused, the notebook is
    rebuilt as a new version and validated again.
    """
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status in {RunStatus.QUEUED, RunStatus.RUNNING}:
        raise InvalidTransition(f"run {run.tutorial_id} is {run.status}; wait until it ends to regenerate a section")
    if "outline" not in run.completed_stages:
        raise InvalidTransition(f"run {run.tutorial_id} has no outline yet; retry it instead")
    section = run.sections.filter(index=index).first()
    if section is None:
        raise RunOptionsError(f"run {run.tutorial_id} has no step {index + 1} (it has {run.sections.count()})")
    instruction = instruction.strip()
    if len(instruction) > 1000:
        raise RunOptionsError("the instruction is longer than 1000 characters")
    Section.objects.filter(pk=section.pk).update(status=Section.Status.PENDING, instruction=instruction)
    keep = STAGES[: STAGES.index("sections")]
    run.completed_stages = [stage for stage in run.completed_stages if stage in keep]
    Run.objects.filter(pk=run.pk).update(completed_stages=run.completed_stages)
    detail = f" with the instruction: {instruction}" if instruction else ""
    return run_requeue(run=run, reason=f"Step {index + 1} will be written again{detail}.")
