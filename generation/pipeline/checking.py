"""Stages 5-7: static validation, sandboxed execution and auto-fix of the latest version.

Findings live on the notebook version they describe. Auto-fix never edits a version: it
builds a new one (deterministic fixes, and steps rewritten by the teacher from the traceback
of their failing code), validates it the same way, and stops after a bounded number of
rounds; a manual that still fails is left for human review with its findings.
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import TYPE_CHECKING, Any

import nbformat
from django.db import transaction

from generation import services
from generation.models import Finding, NotebookVersion, Run, Section
from generation.pipeline import assembly
from generation.pipeline.autofix import apply_deterministic_fixes
from generation.pipeline.errors import PipelineError
from generation.pipeline.pool import run_concurrently
from generation.pipeline.repair import failing_steps, repair_section, step_code
from generation.pipeline.validators import FindingData, ValidationReport, validate_notebook
from prompts.loader import load_prompt
from prompts.specs import SectionSpec

if TYPE_CHECKING:
    from generation.pipeline.runner import RunContext

EXECUTION_VALIDATOR = "execution"


def latest_version(run: Run, *, notebook: bool = True) -> NotebookVersion:
    """The run's newest notebook version; without its notebook text when `notebook` is False
    (read on first access: a version's text is most of its row)."""
    versions = run.versions.order_by("-number")
    version = (versions if notebook else versions.defer("ipynb")).first()
    if version is None:
        raise PipelineError("No notebook version exists to work on.", stage=run.stage)
    return version


def version_findings(version: NotebookVersion) -> list[FindingData]:
    return [
        FindingData(f.validator, f.code, f.severity, f.message, f.cell_index, f.fixable)
        for f in version.findings.order_by("id")
    ]


def store_report(version: NotebookVersion, report: ValidationReport, *, executed: bool) -> None:
    """Replace the version's findings and verdict; its metadata cell carries the summary."""
    summary = {**report.summary(), "executed": executed}
    nb = assembly.set_validation_summary(assembly.notebook_from_text(version.ipynb), summary)
    data = assembly.notebook_to_bytes(nb)
    with transaction.atomic():
        version.findings.all().delete()
        Finding.objects.bulk_create(
            Finding(
                version=version,
                validator=f.validator,
                code=f.code,
                severity=f.severity,
                cell_index=f.cell_index,
                message=f.message,
                fixable=f.fixable,
            )
            for f in report.findings
        )
        version.ipynb = data.decode("utf-8")
        version.sha256 = hashlib.sha256(data).hexdigest()
        version.validated = True
        version.passed = report.passed
        version.quality_score = report.score
        version.validation_summary = {**report.as_dict(), "executed": executed}
        version.save()


def execute_into(report: ValidationReport, nb: nbformat.NotebookNode, *, cell_timeout: int, total_timeout: int) -> bool:
    """Run `nb` in the sandbox, add its findings and duration to `report`; says whether it ran."""
    from generation.pipeline.execution import execute_notebook

    result = execute_notebook(nb, cell_timeout=cell_timeout, total_timeout=total_timeout)
    report.findings.extend(result.findings)
    report.durations_ms[EXECUTION_VALIDATOR] = result.seconds * 1000
    return result.executed


def check_notebook(
    nb: nbformat.NotebookNode, *, execute: bool, cell_timeout: int = 60, total_timeout: int = 600
) -> tuple[ValidationReport, bool]:
    """Static validators and, when asked, execution: the one check for stored and loose notebooks."""
    report = validate_notebook(nb)
    executed = execute_into(report, nb, cell_timeout=cell_timeout, total_timeout=total_timeout) if execute else False
    return report, executed


def check_version(version: NotebookVersion, *, execute: bool, config: dict[str, Any]) -> ValidationReport:
    """check_notebook on a stored version, with the configured limits; the result is stored."""
    report, executed = check_notebook(
        assembly.notebook_from_text(version.ipynb),
        execute=execute,
        cell_timeout=config["EXEC_CELL_TIMEOUT"],
        total_timeout=config["EXEC_TOTAL_TIMEOUT"],
    )
    store_report(version, report, executed=executed)
    return report


def _verdict(report: ValidationReport) -> str:
    counts = report.counts()
    return f"{'passed' if report.passed else 'failed'}: {counts['error']} error(s), {counts['warning']} warning(s)"


def validation_stage(context: RunContext) -> str:
    version = latest_version(context.run)
    report = validate_notebook(assembly.notebook_from_text(version.ipynb))
    store_report(version, report, executed=False)
    return _verdict(report)


def execution_stage(context: RunContext) -> str:
    run = context.run
    if not run.execute:
        # Said in the stage's completion event rather than a note of its own: one commit less.
        return "skipped: execution was not requested (--no-execute), so the notebook was not run"
    version = latest_version(run)
    static = [f for f in version_findings(version) if f.validator != EXECUTION_VALIDATOR]
    report = ValidationReport(findings=static, durations_ms=dict(version.validation_summary.get("durations_ms", {})))
    executed = execute_into(
        report,
        assembly.notebook_from_text(version.ipynb),
        cell_timeout=context.config["EXEC_CELL_TIMEOUT"],
        total_timeout=context.config["EXEC_TOTAL_TIMEOUT"],
    )
    store_report(version, report, executed=executed)
    seconds = report.durations_ms[EXECUTION_VALIDATOR] / 1000
    return f"{'ran' if executed else 'did not run'} in {seconds:.1f} s; {_verdict(report)}"


def autofix_stage(context: RunContext) -> str:
    run = context.run
    rounds = context.config["REPAIR_ROUNDS"]
    notes = []
    # A passing version (the common case) is done with here; a failing one's notebook is read
    # when the round needs it.
    version = latest_version(run, notebook=False)
    for round_number in range(1, rounds + 1):
        if version.passed:
            break
        context.check_cancelled()
        changed = _fix_round(context, version, round_number)
        if changed is None:
            notes.append("no automatic fix applies to the remaining findings")
            break
        notes.append(changed)
        version = latest_version(run, notebook=False)  # the round's new version, validated
    if not version.passed:
        services.run_event(
            run=run,
            kind="needs_review",
            stage="autofix",
            level="warning",
            message=f"Version {version.number} still fails validation; a person must review its findings.",
        )
    return "; ".join(notes) or "nothing to fix"


def _fix_round(context: RunContext, version: NotebookVersion, round_number: int) -> str | None:
    """One round of fixes as a new version; None when nothing automatic can be tried."""
    run = context.run
    nb = assembly.notebook_from_text(version.ipynb)
    findings = version_findings(version)
    broken_steps = failing_steps(nb, findings)
    repaired = _repair_steps(context, nb, broken_steps, round_number) if broken_steps else []
    if repaired:
        from generation.pipeline.stages import load_outline, notebook_meta

        sections = [SectionSpec.model_validate(s.data) for s in run.sections.order_by("index")]
        research = context.research()
        nb = assembly.build_notebook(
            outline=load_outline(run),
            sections=sections,
            research=research,
            meta=notebook_meta(run, research, version.number + 1),
        )
    nb, fixes = apply_deterministic_fixes(nb)
    if not repaired and not fixes:
        return None
    if _content(nb) == _content(assembly.notebook_from_text(version.ipynb)):
        # The teacher rewrote the steps into the same code: another round would change nothing.
        return None
    what = [f"step {n} rewritten" for n in repaired] + [fix.description for fix in fixes]
    data = assembly.notebook_to_bytes(nb)
    new = NotebookVersion.objects.create(
        run=run,
        number=version.number + 1,
        ipynb=data.decode("utf-8"),
        sha256=hashlib.sha256(data).hexdigest(),
        reason=f"auto-fix round {round_number}"[:200],
    )
    report = check_version(new, execute=run.execute, config=context.config)
    summary = f"round {round_number}: {', '.join(what)} -> v{new.number} {_verdict(report)}"
    services.run_event(run=run, kind="autofix", stage="autofix", message=summary)
    context.progress("autofix", summary)
    return summary


def _repair_steps(
    context: RunContext, nb: nbformat.NotebookNode, broken: dict[int, list[FindingData]], round_number: int
) -> list[int]:
    """Ask the teacher to rewrite each failing step; returns the steps it rewrote."""
    from generation.pipeline.stages import load_plan, save_calls, seed_base_for

    run = context.run
    plan, research = load_plan(run), context.research()
    prompt = load_prompt("section_repair")
    jobs = {}
    for step, findings in broken.items():
        section = run.sections.get(index=step - 1)
        jobs[step - 1] = partial(
            repair_section,
            teacher=context.teacher,
            plan=plan,
            research=research,
            index=step - 1,
            failing_code=step_code(nb, step),
            error="\n\n".join(f.message for f in findings),
            difficulty=run.difficulty,
            language=run.language,
            max_attempts=context.config["JSON_MAX_ATTEMPTS"],
            prompt=prompt,
            current=SectionSpec.model_validate(section.data) if section.data else None,
            # Each round samples anew, or it would be handed the rewrite that already failed.
            seed_base=seed_base_for(run) + 100 * round_number,
        )
    repaired = []
    concurrency = min(context.config["SECTION_CONCURRENCY"], context.teacher.max_concurrency or len(jobs))
    for outcome in run_concurrently(
        jobs, concurrency=concurrency, governor=context.governor, check_cancelled=context.check_cancelled
    ):
        with transaction.atomic():
            save_calls(run, outcome.calls)
            if outcome.result is not None:
                Section.objects.filter(run=run, index=outcome.key).update(
                    data=outcome.result.raw, prompt_version=prompt.label, status=Section.Status.DONE
                )
                repaired.append(int(outcome.key) + 1)
    run.prompt_versions = {**run.prompt_versions, "section_repair": prompt.label}
    Run.objects.filter(pk=run.pk).update(prompt_versions=run.prompt_versions)
    return sorted(repaired)


def _content(nb: nbformat.NotebookNode) -> list[str]:
    """Cell sources without the metadata cell (its version number and summary always differ)."""
    return [cell.source for cell in nb.cells if assembly.METADATA_TAG not in cell.metadata.get("tags", [])]
