"""The eight stage functions of the pipeline (the order lives in `runner.PIPELINE`).

Each takes the `RunContext`, reads what earlier stages stored, stores its own result, and
returns a short note. Re-running a completed stage changes nothing that was stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from generation import artifacts, services, signals
from generation.models import Finding, NotebookVersion, Outline, ResearchRecord, Run, Section, TeacherCall
from generation.pipeline import assembly
from generation.pipeline.checking import latest_version
from generation.pipeline.errors import PipelineError, TeacherError, ValidationFailed
from generation.pipeline.outline import generate_outline
from generation.pipeline.pool import JobOutcome, run_concurrently, run_in_batches
from generation.pipeline.research import scout
from generation.pipeline.research.snapshot import ResearchSnapshot
from generation.pipeline.sections import generate_section
from generation.pipeline.structured import BASE_SEED, CallRecord, StructuredResult
from generation.pipeline.wrapup import generate_wrapup
from prompts import limits
from prompts.loader import load_prompt
from prompts.specs import OutlineSpec, PlanSpec, SectionSpec, WrapUpSpec

if TYPE_CHECKING:
    from generation.pipeline.runner import RunContext
    from providers.base import Teacher


def save_calls(run: Run, calls: list[CallRecord]) -> None:
    # One INSERT per call (batch_size=1). Several rows in one INSERT go through Django's UNNEST
    # form on PostgreSQL, where psycopg escapes each text array element in Python, a regex call
    # per quote: the calls' JSON prompts made six rows cost 13 ms instead of 4.
    TeacherCall.objects.bulk_create(
        (
            TeacherCall(
                run=run,
                stage=call.stage,
                section_index=call.section_index,
                attempt=call.attempt,
                provider=call.provider,
                model=call.model,
                structured_mode=call.structured_mode,
                outcome=call.outcome,
                finish_reason=call.finish_reason,
                json_parsed=call.json_parsed,
                json_repaired=call.json_repaired,
                schema_valid=call.schema_valid,
                latency_ms=call.latency_ms,
                prompt_tokens=call.prompt_tokens,
                completion_tokens=call.completion_tokens,
                http_attempts=call.http_attempts,
                error=call.error,
                request_messages=call.request_messages,
                response_text=call.response_text,
            )
            for call in calls
        ),
        batch_size=1,
    )


def _store_one(model: type[ResearchRecord] | type[Outline], run: Run, **values: Any) -> None:
    """A stage's one-per-run result, replaced when the stage runs again (a resumed run).

    One INSERT ... ON CONFLICT (run) DO UPDATE, where update_or_create takes a locking read, a
    savepoint and its release, and an UPDATE-then-INSERT takes two statements on a first run.
    """
    model.objects.bulk_create(
        [model(run=run, **values)], update_conflicts=True, unique_fields=["run"], update_fields=list(values)
    )


def seed_base_for(run: Run) -> int:
    """Sampling seeds for this execution of the run: a retried run must not replay the exact
    replies that failed before (a teacher at a fixed seed is deterministic)."""
    return BASE_SEED + 1000 * max(0, run.attempt_count - 1)


def load_research(run: Run) -> ResearchSnapshot:
    return ResearchSnapshot.model_validate(ResearchRecord.objects.get(run=run).data)


def load_plan(run: Run) -> PlanSpec:
    return PlanSpec.model_validate(Outline.objects.get(run=run).data)


def load_outline(run: Run) -> OutlineSpec:
    """The whole outline: the plan and the wrap-up written beside the sections."""
    outline = Outline.objects.get(run=run)
    if not outline.wrapup:
        raise PipelineError("The outline has no wrap-up yet.", stage=run.stage)
    return OutlineSpec.model_validate({**outline.data, **outline.wrapup})


def research_excerpt_budget(teacher: Teacher, config: Mapping[str, Any]) -> int:
    """Tokens of the card the outline prompt may carry with this teacher."""
    return limits.research_excerpt_budget(
        min(teacher.context_tokens, config["TEACHER_CONTEXT_TOKENS"]),
        # Only the outline prompt carries the whole excerpt; sections and the wrap-up take a
        # shorter one (limits.SECTION_CARD_TOKENS).
        limits.OUTLINE_MAX_TOKENS,
    )


def research_stage(context: RunContext) -> str:
    run = context.run
    snapshot = scout.research_for_run(
        source_kind=run.source_kind,
        source_ref=run.source_ref,
        source_text=run.source_text,
        mode=run.research_mode,
        budget_tokens=research_excerpt_budget(context.teacher, context.config),
    )
    notes = [(note, "warning", None) for note in snapshot.notes]
    condensed = snapshot.condensation
    if condensed.method != "none":
        notes.append(
            (
                f"The card was condensed from {condensed.original_tokens} to {condensed.kept_tokens} tokens "
                f"by ranking its sections; dropped: {', '.join(condensed.dropped_sections) or 'none'}.",
                "info",
                condensed.model_dump(),
            )
        )
    # The research, the subject's name and the notes about them are one commit.
    with transaction.atomic():
        _store_one(
            ResearchRecord,
            run,
            data=snapshot.model_dump(mode="json"),
            revision_sha=snapshot.revision_sha,
            quality_score=snapshot.quality.score,
            thin_card=snapshot.quality.thin,
        )
        if snapshot.subject and snapshot.subject != run.subject_model:
            run.subject_model = snapshot.subject[:200]
            Run.objects.filter(pk=run.pk).update(subject_model=run.subject_model)
        for message, level, data in notes:
            services.run_event(run=run, kind="note", stage="research", message=message, level=level, data=data)
    for message, _, _ in notes:
        context.progress("research", message)
    revision = f" at {snapshot.revision_sha[:12]}" if snapshot.revision_sha else ""
    return f"{snapshot.subject}{revision}, card quality {snapshot.quality.score}/100" + (
        " (thin card)" if snapshot.quality.thin else ""
    )


def outline_stage(context: RunContext) -> str:
    run = context.run
    research = context.research()
    prompt = load_prompt("outline")

    def plan_job(check_cancelled: Callable[[], None]) -> StructuredResult:
        result, _ = generate_outline(
            teacher=context.teacher,
            research=research,
            difficulty=run.difficulty,
            language=run.language,
            max_sections=run.max_sections,
            max_attempts=context.config["JSON_MAX_ATTEMPTS"],
            seed_base=seed_base_for(run),
            prompt_version=prompt.version,
            check_cancelled=check_cancelled,
        )
        return result

    # One job, through the pool so that it holds a provider slot like every teacher call.
    [done] = run_concurrently(
        {"outline": plan_job}, concurrency=1, governor=context.governor, check_cancelled=context.check_cancelled
    )
    if done.result is None:
        assert done.error is not None
        save_calls(run, done.calls)
        raise done.error
    result = done.result
    outline: PlanSpec = result.value  # type: ignore[assignment]
    with transaction.atomic():
        save_calls(run, done.calls)
        _store_one(
            Outline,
            run,
            data=outline.model_dump(mode="json"),
            prompt_version=prompt.label,
            wrapup=None,
            wrapup_prompt_version="",
        )
        # A new outline invalidates sections planned from an older one.
        run.sections.all().delete()
        Section.objects.bulk_create(
            Section(run=run, index=index, title=step.title) for index, step in enumerate(outline.steps)
        )
        run.prompt_versions = {**run.prompt_versions, "outline": prompt.label}
        Run.objects.filter(pk=run.pk).update(prompt_versions=run.prompt_versions)
    return f"{len(outline.steps)} steps planned in {len(result.calls)} call(s)"


def sections_stage(context: RunContext) -> str:
    """Every step's section and the outline's wrap-up, written concurrently."""
    run = context.run
    outline_row = Outline.objects.get(run=run)
    plan = PlanSpec.model_validate(outline_row.data)
    research = context.research()
    # Sections not written yet, with a person's instruction when one asked for a new writing.
    pending = list(run.sections.exclude(status=Section.Status.DONE).values_list("index", "instruction", "pk"))
    todo = {index: instruction for index, instruction, _ in pending}
    section_pks = {index: pk for index, _, pk in pending}
    section_prompt, wrapup_prompt = load_prompt("section"), load_prompt("wrapup")
    common = {
        "teacher": context.teacher,
        "research": research,
        "difficulty": run.difficulty,
        "language": run.language,
        "max_attempts": context.config["JSON_MAX_ATTEMPTS"],
        "seed_base": seed_base_for(run),
    }
    jobs: dict[int | str, Callable[[], StructuredResult]] = {
        index: partial(
            generate_section, outline=plan, index=index, prompt=section_prompt, instruction=instruction, **common
        )
        for index, instruction in todo.items()
    }
    if not outline_row.wrapup:
        jobs["wrapup"] = partial(
            generate_wrapup, plan=plan, prompt=wrapup_prompt, max_sections=run.max_sections, **common
        )
    failures: list[str] = []
    concurrency = min(context.config["SECTION_CONCURRENCY"], context.teacher.max_concurrency or len(jobs) or 1)
    run.prompt_versions = {**run.prompt_versions, "section": section_prompt.label, "wrapup": wrapup_prompt.label}
    versions_saved = False
    for batch in run_in_batches(
        jobs, concurrency=concurrency, governor=context.governor, check_cancelled=context.check_cancelled
    ):
        # Persisted as jobs complete (those that ended together in one transaction), so a
        # resumed run keeps what finished. The prompt versions ride along with the first batch.
        sections = [outcome for outcome in batch if outcome.key != "wrapup"]
        with transaction.atomic():
            if not versions_saved:
                Run.objects.filter(pk=run.pk).update(prompt_versions=run.prompt_versions)
                versions_saved = True
            save_calls(run, [call for outcome in batch for call in outcome.calls])
            failures += _store_sections(section_pks, sections, section_prompt.label)
            for outcome in batch:
                if outcome.key == "wrapup":
                    failures += _store_wrapup(outline_row, outcome, wrapup_prompt.label)
        for outcome in batch:
            label = "wrap-up" if outcome.key == "wrapup" else f"step {int(outcome.key) + 1}/{len(plan.steps)}"
            context.progress("sections", f"{label} {'done' if outcome.result is not None else 'failed'}")
    if not versions_saved:
        Run.objects.filter(pk=run.pk).update(prompt_versions=run.prompt_versions)
    if failures:
        raise TeacherError(f"{len(failures)} part(s) failed: " + "; ".join(failures), stage="sections")
    reused = len(plan.steps) - len(todo)
    return f"{len(todo)} section(s) generated, {reused} reused" + (", wrap-up written" if "wrapup" in jobs else "")


def _store_sections(pks: dict[int, int], outcomes: list[JobOutcome], prompt_label: str) -> list[str]:
    """Store the written (or failed) sections of one batch, by their keys in `pks`; the failures, described.

    An UPDATE each: bulk_update's CASE over the sections' JSON costs more than it saves.
    """
    now = timezone.now()  # update() skips auto_now
    failures = []
    for outcome in outcomes:
        section = Section.objects.filter(pk=pks[int(outcome.key)])
        if outcome.result is not None:
            section.update(
                data=outcome.result.raw,
                status=Section.Status.DONE,
                prompt_version=prompt_label,
                error_message="",
                updated_at=now,
            )
            continue
        message = outcome.error.message if outcome.error else "unknown error"
        section.update(status=Section.Status.FAILED, error_message=message, updated_at=now)
        failures.append(f"step {int(outcome.key) + 1} ({message})")
    return failures


def _store_wrapup(outline: Outline, outcome: JobOutcome, prompt_label: str) -> list[str]:
    if outcome.result is None:
        return [f"wrap-up ({outcome.error.message if outcome.error else 'unknown error'})"]
    wrapup: WrapUpSpec = outcome.result.value  # type: ignore[assignment]
    outline.wrapup = wrapup.model_dump(mode="json")
    outline.wrapup_prompt_version = prompt_label
    outline.save(update_fields=["wrapup", "wrapup_prompt_version"])
    return []


def notebook_meta(run: Run, research: ResearchSnapshot, version: int) -> assembly.NotebookMeta:
    return assembly.NotebookMeta(
        tutorial_id=run.tutorial_id,
        version=version,
        difficulty=run.difficulty,
        language=run.language,
        source={"kind": run.source_kind, "ref": research.repo_id or run.source_ref, "revision": research.revision_sha},
        teacher={"provider": run.teacher_provider, "model": run.teacher_model, "demo": run.is_demo},
        prompt_versions=dict(sorted(run.prompt_versions.items())),
        validator_summary={},
    )


def assembly_stage(context: RunContext) -> str:
    run = context.run
    research = context.research()
    outline = load_outline(run)
    sections = [SectionSpec.model_validate(s.data) for s in run.sections.order_by("index")]
    number = 1 + (run.versions.order_by("-number").values_list("number", flat=True).first() or 0)
    nb = assembly.build_notebook(
        outline=outline, sections=sections, research=research, meta=notebook_meta(run, research, number)
    )
    data = assembly.notebook_to_bytes(nb)
    NotebookVersion.objects.create(
        run=run, number=number, ipynb=data.decode("utf-8"), sha256=hashlib.sha256(data).hexdigest()
    )
    return f"version {number}: {len(nb.cells)} cells, {len(data)} bytes"


def publish_stage(context: RunContext) -> str:
    version = latest_version(context.run)
    # The artifacts' rows and the review queue's entry are one commit. Should the queue fail,
    # the rows go too; the files stay, and a retried publish replaces files no row records. The
    # run's row is locked first, as the review queue locks it, so that the artifacts' foreign
    # keys do not take a weaker lock on it first (two such transactions could deadlock).
    with transaction.atomic():
        list(Run.objects.select_for_update().filter(pk=context.run.pk).order_by().values_list("pk", flat=True))
        written = artifacts.publish_version(run=context.run, version=version)
        signals.version_validated.send(sender=NotebookVersion, version=version)
    return f"{len(written)} artifacts stored under {artifacts.version_prefix(context.run, version)}"


def final_verdict(run: Run) -> PipelineError | None:
    """The error that ends a run whose stages all completed, or None when it succeeded."""
    version = latest_version(run, notebook=False)
    if not version.passed:
        errors = version.findings.filter(severity=Finding.Severity.ERROR)
        first = errors.first()
        detail = f" First: {first.message}" if first else ""
        return ValidationFailed(
            f"The notebook failed validation with {errors.count()} error finding(s) and needs a person's review."
            f"{detail}",
            stage="validation",
        )
    return None
