"""What `manage.py alain` does, as plain functions the command calls."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.text import slugify

from generation import artifacts, queueing, refresh, retention
from generation.models import STAGES, Run, RunStatus
from generation.pipeline.errors import SourceError
from generation.pipeline.runner import execute_run
from generation.queueing import queue_new_run
from generation.services import (
    InvalidTransition,
    RunOptions,
    RunOptionsError,
    RunSource,
    run_cancel,
    run_create,
    run_retry,
)
from generation.sources import source_from_file, source_from_model_ref, source_from_text
from providers.base import Teacher
from providers.catalog import ProviderConfigError, UnknownProvider, catalog_entries, get_teacher

QUEUE_KEY_ERROR = "--apiKey cannot be used with --queue; workers read keys from their environment."
EXIT_CODES = {
    "ok": 0,
    "internal": 1,
    "usage": 2,
    "source": 3,
    "teacher": 4,
    "validation": 5,
    "cancelled": 6,
    # `alain refresh`: at least one new version waits in the review queue (CI: someone must look).
    "needs_approval": 10,
}


@dataclass(frozen=True)
class GenerateRequest:
    model: str | None = None
    source_file: Path | None = None
    text: str | None = None
    provider: str | None = None
    teacher_model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    difficulty: str = "beginner"
    max_sections: int = 5
    language: str = "en"
    research_mode: str = "standard"
    out_dir: Path = Path("out")
    execute: bool = True
    # Queue the run for the background workers and wait for it, instead of running it here.
    queue: bool = False
    wait_timeout: float | None = None


@dataclass
class GenerateOutcome:
    exit_code: int
    message: str
    run: Run | None = None
    folder: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "exit_code": self.exit_code,
            "message": self.message,
            "folder": str(self.folder) if self.folder else None,
            "run": None
            if run is None
            else {
                "tutorial_id": run.tutorial_id,
                "status": run.status,
                "stage": run.stage,
                "error_kind": run.error_kind,
                "stage_timings_ms": run.stage_timings,
                "teacher": {"provider": run.teacher_provider, "model": run.teacher_model},
            },
        }


class Progress:
    """Stage progress on stderr: a one-line bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn = False

    def __call__(self, stage: str, message: str) -> None:
        if not self.tty:
            self.stream.write(f"[alain] {stage}: {message}\n")
            self.stream.flush()
            return
        position = STAGES.index(stage) + 1 if stage in STAGES else 0
        done = position if message.startswith(("done", "already")) else position - 1
        bar = "#" * done + "-" * (len(STAGES) - done)
        line = f"[{bar}] {position}/{len(STAGES)} {stage}: {message}"
        self.stream.write("\r\x1b[2K" + line[:150])
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _resolve_source(request: GenerateRequest) -> tuple[RunSource, str]:
    given = [v for v in (request.model, request.source_file, request.text) if v]
    if len(given) != 1:
        raise RunOptionsError("give exactly one source: --model, --source or --text")
    if request.model:
        return source_from_model_ref(request.model)
    if request.source_file:
        return source_from_file(request.source_file)
    return source_from_text(request.text or "")


def unapplied_migrations() -> list[str]:
    """Migrations the database still lacks (a run would crash on the first missing column)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def migrations_message(missing: list[str]) -> str:
    return f"The database lacks migrations ({', '.join(missing[:3])}): run `manage.py migrate`."


def _fail(code: str, message: str, run: Run | None = None) -> GenerateOutcome:
    return GenerateOutcome(exit_code=EXIT_CODES[code], message=message, run=run)


def generate_manual(request: GenerateRequest, *, progress: Progress | None = None) -> GenerateOutcome:
    """Check every input, run the whole pipeline, and export the artifacts to a new folder."""
    progress = progress or Progress()
    if missing := unapplied_migrations():
        return _fail("usage", migrations_message(missing))
    try:
        if request.out_dir.exists() and not request.out_dir.is_dir():
            raise RunOptionsError(f"--outDir {request.out_dir} exists and is not a directory")
        source, subject = _resolve_source(request)
        teacher = get_teacher(
            request.provider, model=request.teacher_model, base_url=request.base_url, api_key=request.api_key
        )
        options = RunOptions(
            provider=teacher.key,
            teacher_model=teacher.model,
            base_url=teacher.base_url,
            difficulty=request.difficulty,
            language=request.language,
            research_mode=request.research_mode,
            max_sections=request.max_sections,
            execute=request.execute,
        )
        options.validate()
    except (RunOptionsError, UnknownProvider) as exc:
        return _fail("usage", f"Usage error: {exc}.")
    except SourceError as exc:
        return _fail("source", f"Source error: {exc.message}")
    except ProviderConfigError as exc:
        return _fail("teacher", f"Teacher configuration error: {exc}")

    if request.queue and request.api_key:
        return _fail("usage", f"Usage error: {QUEUE_KEY_ERROR}")
    if teacher.is_demo:
        progress("research", "using the offline demo teacher: the manual is demo content")
    if request.queue:
        run = queue_new_run(source=source, options=options, subject=subject)
        progress("research", f"queued as {run.tutorial_id}; waiting for a worker (`manage.py qcluster`)")
        return wait_and_export(run, out_dir=request.out_dir, progress=progress, timeout=request.wait_timeout)
    run = run_create(source=source, options=options, subject=subject)
    return _execute_and_export(run, teacher=teacher, out_dir=request.out_dir, progress=progress)


def wait_and_export(
    run: Run, *, out_dir: Path, progress: Progress, timeout: float | None = None, poll: float = 0.5
) -> GenerateOutcome:
    """Follow a queued run through its event log until it ends, then export like an in-process run."""
    seen = run.events.order_by("-id").values_list("id", flat=True).first() or 0
    started = time.monotonic()
    while True:
        for event in run.events.filter(id__gt=seen).order_by("id"):
            seen = event.id
            if event.stage:
                progress(event.stage, event.message)
        run.refresh_from_db()
        if run.is_finished:
            return _export(run, out_dir=out_dir)
        if timeout is not None and time.monotonic() - started > timeout:
            return _fail(
                "internal",
                f"Run {run.tutorial_id} is still {run.status} after {timeout:.0f} s; it goes on in the background "
                f"(cancel it with `manage.py alain cancel {run.tutorial_id}`).",
                run,
            )
        time.sleep(poll)


def retry_manual(
    tutorial_id: str,
    *,
    out_dir: Path,
    api_key: str | None = None,
    progress: Progress | None = None,
    queue: bool = False,
) -> GenerateOutcome:
    """Run a failed or cancelled run again from its first unfinished stage, reusing the rest."""
    progress = progress or Progress()
    if missing := unapplied_migrations():
        return _fail("usage", migrations_message(missing))
    run = Run.objects.filter(tutorial_id=tutorial_id).first()
    if run is None:
        return _fail("usage", f"Usage error: there is no run {tutorial_id!r}.")
    if queue and api_key:
        return _fail("usage", f"Usage error: {QUEUE_KEY_ERROR}")
    try:
        teacher = get_teacher(
            run.teacher_provider, model=run.teacher_model, base_url=run.teacher_base_url or None, api_key=api_key
        )
        if queue:
            queueing.retry_run(run)
        else:
            run_retry(run=run)
    except ProviderConfigError as exc:
        return _fail("teacher", f"Teacher configuration error: {exc}")
    except InvalidTransition as exc:
        return _fail("usage", f"Usage error: {exc}.")
    done = ", ".join(run.completed_stages) or "nothing"
    progress(run.error_stage or "research", f"retrying; reusing what is done ({done})")
    if queue:
        return wait_and_export(run, out_dir=out_dir, progress=progress)
    return _execute_and_export(run, teacher=teacher, out_dir=out_dir, progress=progress)


def _execute_and_export(run: Run, *, teacher: Teacher, out_dir: Path, progress: Progress) -> GenerateOutcome:
    return _export(execute_run(run.pk, teacher=teacher, progress=progress), out_dir=out_dir)


def _export(run: Run, *, out_dir: Path) -> GenerateOutcome:
    folder = None
    version = run.versions.order_by("-number").first()
    if version is not None and "publish" in run.completed_stages:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        folder = artifacts.export_to_directory(
            run=run,
            version=version,
            out_dir=out_dir,
            folder_name=f"{stamp}-{slugify(run.tutorial_id)}",
        )
    if run.status == RunStatus.SUCCEEDED:
        executed = bool(version and version.validation_summary.get("executed"))
        checks = "validated and executed in the sandbox" if executed else "validated (not executed)"
        message = f"Manual {run.tutorial_id} generated and {checks}; artifacts in {folder}."
        return GenerateOutcome(exit_code=0, message=message, run=run, folder=folder)
    kind = run.error_kind if run.error_kind in EXIT_CODES else "internal"
    if run.status == RunStatus.CANCELLED:
        kind = "cancelled"
    where = f" Artifacts for inspection in {folder}." if folder else ""
    message = f"Run {run.tutorial_id} failed in stage {run.error_stage or run.stage}: {run.error_message}{where}"
    if kind in {"teacher", "internal"}:
        message += f" Retry with `manage.py alain retry {run.tutorial_id}`."
    return GenerateOutcome(exit_code=EXIT_CODES[kind], message=message, run=run, folder=folder)


def list_providers(*, probe: bool) -> list[dict[str, Any]]:
    """The provider catalog (never keys), each entry probed when asked."""
    entries = catalog_entries()
    for entry in entries:
        if not probe:
            continue
        try:
            teacher = get_teacher(entry["key"])
        except ProviderConfigError as exc:
            entry["probe"] = {"ok": False, "message": str(exc)}
            continue
        result = teacher.probe()
        entry["probe"] = {"ok": result.ok, "message": result.message, "latency_ms": result.latency_ms}
    return entries


def _find_run(tutorial_id: str) -> Run | None:
    return Run.objects.filter(tutorial_id=tutorial_id).first()


@dataclass
class ActionOutcome:
    exit_code: int
    message: str


def cancel_run(tutorial_id: str) -> ActionOutcome:
    """Cancel a queued or running run; its worker stops at the next stage boundary or teacher call."""
    run = _find_run(tutorial_id)
    if run is None:
        return ActionOutcome(EXIT_CODES["usage"], f"Usage error: there is no run {tutorial_id!r}.")
    try:
        run_cancel(run=run, reason="cancelled from the command line")
    except InvalidTransition as exc:
        return ActionOutcome(EXIT_CODES["usage"], f"Usage error: {exc}.")
    return ActionOutcome(0, f"Run {tutorial_id} cancelled; a worker running it stops at its next check.")


def regenerate_section(tutorial_id: str, *, step: int, instruction: str = "") -> ActionOutcome:
    """Queue a new writing of one step (1-based) of a finished run; it becomes a new version."""
    run = _find_run(tutorial_id)
    if run is None:
        return ActionOutcome(EXIT_CODES["usage"], f"Usage error: there is no run {tutorial_id!r}.")
    try:
        queueing.regenerate_section(run, index=step - 1, instruction=instruction)
    except (InvalidTransition, RunOptionsError) as exc:
        return ActionOutcome(EXIT_CODES["usage"], f"Usage error: {exc}.")
    return ActionOutcome(0, f"Step {step} of {tutorial_id} queued for regeneration; a worker will rebuild the manual.")


@dataclass
class ReportOutcome:
    exit_code: int
    message: str
    data: dict[str, Any] | None = None
    text: str = ""


def build_report(since: str) -> ReportOutcome:
    """The funnel and the diversity scorecard of every run created in the window `since` (e.g. 30d)."""
    # Imported here: the reports read review's models, which import generation's.
    from alain_site.observability import report_text, reports

    if missing := unapplied_migrations():
        return ReportOutcome(EXIT_CODES["usage"], migrations_message(missing))
    try:
        window = reports.parse_window(since)
    except reports.InvalidWindow as exc:
        return ReportOutcome(EXIT_CODES["usage"], f"Usage error: {exc}")
    report = reports.full_report(window=window)
    runs = report.funnel.overall.submitted
    message = f"Report of {runs} run{'s' if runs != 1 else ''} created in {window.description}."
    return ReportOutcome(0, message, data=report.as_dict(), text=report_text.render_text(report))


def purge_expired(*, older_than: str | None, dry_run: bool) -> ReportOutcome:
    """Apply the retention policy (generation/retention.py); `older_than` (e.g. 30d) overrides the setting."""
    if missing := unapplied_migrations():
        return ReportOutcome(EXIT_CODES["usage"], migrations_message(missing))
    try:
        age = retention.parse_age(older_than) if older_than is not None else None
    except retention.RetentionError as exc:
        return ReportOutcome(EXIT_CODES["usage"], f"Usage error: --older-than: {exc}")
    report = retention.retention_purge(older_than=age, dry_run=dry_run)
    code = EXIT_CODES["internal"] if report.errors else 0
    return ReportOutcome(code, report.summary(), data=report.as_dict(), text="\n".join(report.lines()))


def refresh_all(
    *, approved_only: bool = False, since: str | None = None, force: bool = False, progress: Progress | None = None
) -> ReportOutcome:
    """Refresh every manual in this process (`alain refresh`), one record each.

    Exit code: 1 when a refresh failed, else 10 when a new version waits for approval, else 0.
    """
    if missing := unapplied_migrations():
        return ReportOutcome(EXIT_CODES["usage"], migrations_message(missing))
    try:
        moment = refresh.parse_since(since) if since is not None else None
    except refresh.RefreshUsageError as exc:
        return ReportOutcome(EXIT_CODES["usage"], f"Usage error: {exc}.")
    report = refresh.refresh_manuals(
        approved_only=approved_only, since=moment, force=force, trigger="command", progress=progress
    )
    code = EXIT_CODES["ok"]
    message = report.summary()
    if report.failed:
        code = EXIT_CODES["internal"]
        message += " At least one refresh failed; see its message."
    elif report.needs_approval:
        code = EXIT_CODES["needs_approval"]
        message += " At least one new version waits for approval."
    data = {
        "exit_code": code,
        "counts": {outcome: report.count(outcome) for outcome in refresh.Outcome.values},
        "records": [refresh.record_as_dict(record) for record in report.records],
    }
    lines = [f"{record.run.tutorial_id}: {record.outcome}. {record.message}" for record in report.records]
    return ReportOutcome(code, message, data=data, text="\n".join(lines))
