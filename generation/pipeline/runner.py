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
from django.db import transaction

from generation import services
from generation.models import STAGES, Run, RunStatus
from generation.pipeline import checking, stages
from generation.pipeline.errors import PipelineError, RunCancelled, ValidationFailed
from providers.base import Teacher
from providers.catalog import ProviderConfigError, get_teacher

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, str], None]


@dataclass
class RunContext:
    run: Run
    teacher: Teacher
    progress: ProgressFn
    config: dict = field(default_factory=dict)

    def note(self, stage: str, message: str, *, level: str = "info", data: dict | None = None) -> None:
        services.run_event(run=self.run, kind="note", stage=stage, message=message, level=level, data=data)
        self.progress(stage, message)

    def check_cancelled(self) -> None:
        status = Run.objects.filter(pk=self.run.pk).values_list("status", flat=True).first()
        if status == RunStatus.CANCELLED:
            raise RunCancelled("The run was cancelled.", stage=self.run.stage)


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
) -> Run:
    """Run (or resume) every stage not yet completed; returns the run in its final state."""
    progress = progress or _no_progress
    run = Run.objects.get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        raise services.InvalidTransition(f"run {run.tutorial_id} is {run.status}, only a queued run can be executed")
    with transaction.atomic():
        run.attempt_count += 1
        Run.objects.filter(pk=run.pk).update(attempt_count=run.attempt_count)
        services.run_set_status(run=run, status=RunStatus.RUNNING)
    try:
        teacher = teacher or teacher_for_run(run, api_key=api_key)
    except ProviderConfigError as exc:
        services.run_set_status(run=run, status=RunStatus.FAILED, error=str(exc), error_kind="teacher")
        return run
    context = RunContext(run=run, teacher=teacher, progress=progress, config=settings.ALAIN)
    try:
        for stage, fn in PIPELINE:
            if stage in run.completed_stages:
                progress(stage, "already done, reused")
                continue
            context.check_cancelled()
            services.run_stage_started(run=run, stage=stage)
            progress(stage, "started")
            started = time.perf_counter()
            note = fn(context)
            elapsed_ms = round((time.perf_counter() - started) * 1000)
            services.run_stage_completed(run=run, stage=stage, elapsed_ms=elapsed_ms, note=note)
            progress(stage, f"done in {elapsed_ms / 1000:.1f} s" + (f": {note}" if note else ""))
        verdict = stages.final_verdict(run)
        if verdict is not None:
            raise verdict
        services.run_set_status(run=run, status=RunStatus.SUCCEEDED)
    except RunCancelled:
        run.refresh_from_db()
        progress(run.stage, "cancelled")
    except (PipelineError, ValidationFailed) as exc:
        stage = exc.stage or run.stage
        progress(stage, f"failed: {exc.message}")
        services.run_set_status(
            run=run, status=RunStatus.FAILED, error=exc.message, error_kind=exc.kind, error_stage=stage
        )
    except Exception as exc:
        # Unexpected bugs: the run says so plainly; the traceback goes to the log only.
        logger.exception("run %s crashed in stage %s", run.tutorial_id, run.stage)
        services.run_set_status(
            run=run,
            status=RunStatus.FAILED,
            error=f"Internal error in stage {run.stage} ({type(exc).__name__}); see the server log.",
            error_kind="internal",
        )
    run.refresh_from_db()
    return run
