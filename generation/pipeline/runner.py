"""The ordered list of pipeline stages and the loop that runs them for one run.

Contract of a stage: it reads only what earlier stages stored, stores its own result, and is
idempotent, so `execute_run` can resume a run at its first stage not yet completed. A stage
stops the run by raising a `PipelineError` that says why in one sentence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from alain_site.observability import context as log_context
from generation import queueing, services
from generation.models import STAGES, Run, RunStatus
from generation.pipeline import checking, stages
from generation.pipeline.errors import PipelineError, RunCancelled, TeacherError, ValidationFailed
from generation.pipeline.pool import governor_for
from generation.pipeline.research.snapshot import ResearchSnapshot
from providers.base import Teacher
from providers.catalog import ProviderConfigError, get_teacher
from providers.governor import ProviderGovernor, ProviderUnavailable

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, str], None]


class RunLost(Exception):
    """This worker no longer owns the run (the watchdog ended it, or another worker took it over)."""


@dataclass
class RunContext:
    run: Run
    teacher: Teacher
    progress: ProgressFn
    config: dict = field(default_factory=dict)
    worker: str = ""
    # Keeps the provider's concurrency cap, rate limit and breaker across every worker.
    governor: ProviderGovernor | None = None
    _research: ResearchSnapshot | None = field(default=None, init=False, repr=False)

    def research(self) -> ResearchSnapshot:
        """The run's research as its stage stored it, read once per execution: nothing changes
        it after its stage, and the outline, sections, assembly and auto-fix stages all need it."""
        if self._research is None:
            self._research = stages.load_research(self.run)
        return self._research

    def note(self, stage: str, message: str, *, level: str = "info", data: dict | None = None) -> None:
        services.run_event(run=self.run, kind="note", stage=stage, message=message, level=level, data=data)
        self.progress(stage, message)

    def check_cancelled(self) -> None:
        """Stop at a stage boundary or before a teacher call when the run should not go on."""
        self.check_owner()
        self.check_deadline()

    def check_owner(self) -> None:
        """Raise RunCancelled or RunLost unless the run is still running in this worker."""
        row = Run.objects.filter(pk=self.run.pk).values("status", "claimed_by").first()
        if row is None or row["status"] == RunStatus.CANCELLED:
            raise RunCancelled("The run was cancelled.", stage=self.run.stage)
        if row["status"] != RunStatus.RUNNING or row["claimed_by"] != self.worker:
            raise RunLost(f"run {self.run.tutorial_id} is {row['status']} and owned by {row['claimed_by'] or 'nobody'}")

    def check_deadline(self) -> None:
        deadline = self.config.get("RUN_DEADLINE_SECONDS")
        claimed_at = self.run.claimed_at
        if deadline and claimed_at and (timezone.now() - claimed_at).total_seconds() > deadline:
            raise PipelineError(
                f"The run exceeded its deadline of {round(deadline / 60)} minutes in stage {self.run.stage}; retry it.",
                stage=self.run.stage,
            )


StageFn = Callable[[RunContext], str]

# The pipeline, in order. Each function returns a short note for the run's event log.
PIPELINE: tuple[tuple[str, StageFn], ...] = (
    ("research", stages.research_stage),
    ("outline", stages.outline_stage),
    ("sections", stages.sections_stage),
    ("assembly", stages.assembly_stage),
    ("validation", checking.validation_stage),
    ("execution", checking.execution_stage),
    ("autofix", checking.autofix_stage),
    ("publish", stages.publish_stage),
)
assert tuple(name for name, _ in PIPELINE) == STAGES, "PIPELINE and STAGES must list the same stages"


def _no_progress(stage: str, message: str) -> None:
    return None


def teacher_for_run(run: Run, *, api_key: str | None = None) -> Teacher:
    """The run's teacher, configured from settings; the key is never stored on the run."""
    return get_teacher(
        run.teacher_provider, model=run.teacher_model, base_url=run.teacher_base_url or None, api_key=api_key
    )


def execute_run(
    run_id: int,
    *,
    teacher: Teacher | None = None,
    api_key: str | None = None,
    progress: ProgressFn | None = None,
    worker: str | None = None,
) -> Run:
    """Claim the run, then run (or resume) every stage not yet completed; returns the run in its final state.

    Raises `InvalidTransition` when the run cannot be claimed: it ended, or another worker is
    alive on it (a redelivered task lands here and must do nothing).
    """
    progress = progress or _no_progress
    worker = worker or queueing.worker_id()
    config = settings.ALAIN
    run = services.run_claim(run_id=run_id, worker=worker, stale_after_seconds=config["RUN_STALE_SECONDS"])
    if run is None:
        current = Run.objects.filter(pk=run_id).values("status", "claimed_by").first()
        if current is None:
            raise services.InvalidTransition(f"there is no run {run_id}")
        owner = f" by {current['claimed_by']}" if current["status"] == RunStatus.RUNNING else ""
        raise services.InvalidTransition(f"run {run_id} is {current['status']}{owner}; it was not executed again")
    if run.deliveries > config["RUN_MAX_DELIVERIES"]:
        # Every earlier delivery died with its worker: this one would most likely do the same.
        run.deliveries -= 1
        services.run_set_status(
            run=run, status=RunStatus.FAILED, error=queueing.lost_worker_message(run), error_kind="internal"
        )
        return run
    with queueing.heartbeat(run.pk, worker), log_context.bound(tutorial_id=run.tutorial_id, stage=run.stage):
        return _run_stages(run, teacher=teacher, api_key=api_key, progress=progress, worker=worker, config=config)


def _run_stages(
    run: Run, *, teacher: Teacher | None, api_key: str | None, progress: ProgressFn, worker: str, config: dict
) -> Run:
    try:
        teacher = teacher or teacher_for_run(run, api_key=api_key)
    except ProviderConfigError as exc:
        services.run_set_status(run=run, status=RunStatus.FAILED, error=str(exc), error_kind="teacher")
        return run
    context = RunContext(
        run=run, teacher=teacher, progress=progress, config=config, worker=worker, governor=governor_for(teacher)
    )
    try:
        # A completed stage is recorded together with the start of the next one (see
        # services.run_stage_advance), or on its own after the last stage.
        done: services.StageDone | None = None
        for stage, fn in PIPELINE:
            if stage in run.completed_stages:
                progress(stage, "already done, reused")
                continue
            # Starting is conditioned on the run still being this worker's, which spares reading
            # the run first; when the start is refused, check_owner says why.
            if not services.run_stage_advance(run=run, worker=worker, done=done, starting=stage):
                context.check_owner()
                raise RunLost(f"run {run.tutorial_id} changed hands as stage {stage} was starting")
            done = None
            context.check_deadline()
            log_context.set_stage(stage)
            progress(stage, "started")
            started = time.perf_counter()
            try:
                note = fn(context)
            except ProviderUnavailable as exc:
                raise TeacherError(exc.message, stage=stage) from None
            elapsed_ms = round((time.perf_counter() - started) * 1000)
            done = services.StageDone(stage, elapsed_ms, note)
            progress(stage, f"done in {elapsed_ms / 1000:.1f} s" + (f": {note}" if note else ""))
        # Every stage completed: no deadline applies any more, and the last completion is
        # recorded together with the run's success when it succeeded.
        verdict = stages.final_verdict(run)
        if verdict is None and services.run_succeed(run=run, worker=worker, done=done):
            # Not read again: this worker wrote every field a run changes while it succeeds,
            # except the heartbeat's time.
            return run
        if done is not None:
            services.run_stage_advance(run=run, worker=worker, done=done)
        context.check_owner()
        if verdict is not None:
            raise verdict
        raise RunLost(f"run {run.tutorial_id} changed hands as it succeeded")
    except RunCancelled:
        run.refresh_from_db()
        progress(run.stage, "cancelled")
    except RunLost as exc:
        # Someone else decided the run's fate (watchdog, another worker): leave it as it is.
        logger.warning("stopped working on a run this worker no longer owns: %s", exc)
        progress(run.stage, "stopped: the run is no longer this worker's")
    except (PipelineError, ValidationFailed) as exc:
        stage = exc.stage or run.stage
        progress(stage, f"failed: {exc.message}")
        _fail_if_still_running(run, error=exc.message, error_kind=exc.kind, error_stage=stage)
    except Exception as exc:
        # Unexpected bugs: the run says so plainly; the traceback goes to the log only.
        logger.exception("run %s crashed in stage %s", run.tutorial_id, run.stage)
        _fail_if_still_running(
            run,
            error=f"Internal error in stage {run.stage} ({type(exc).__name__}); see the server log.",
            error_kind="internal",
        )
    run.refresh_from_db()
    return run


def _fail_if_still_running(run: Run, **error: str) -> None:
    try:
        services.run_set_status(run=run, status=RunStatus.FAILED, expected=RunStatus.RUNNING, **error)
    except services.InvalidTransition:
        # Cancelled or ended by the watchdog meanwhile: its status already says what happened.
        logger.info("run %s was no longer running when it failed", run.tutorial_id)
