"""A run's full safety trail, as JSON-serialisable data (shown on the audit page, downloaded as JSON).

It says who generated the run with which teacher and prompts, summarises every teacher call
(never the raw prompts or replies), lists every version and edit with its author, reason and
sha256, every validator outcome, the placeholder and secret findings (secrets are masked by
their validator), every decision with its comment, every export and every audit entry. It
holds no secrets: no API keys, no teacher base URL (which may carry credentials), no raw text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from generation.models import Finding, Run
from review.models import Approval, AuditEntry, ExportRecord, Review

# Findings a safety reviewer reads first.
SAFETY_VALIDATORS = ("placeholders", "secrets")


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _who(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "validator": finding.validator,
        "code": finding.code,
        "severity": finding.severity,
        "cell_index": finding.cell_index,
        "message": finding.message,
    }


def _validator_outcomes(summary: dict[str, Any], findings: list[Finding]) -> dict[str, dict[str, Any]]:
    """Per validator that ran: its error and warning counts and whether it passed."""
    names = set(summary.get("validators", [])) | {f.validator for f in findings}
    outcomes = {}
    for name in sorted(names):
        errors = sum(1 for f in findings if f.validator == name and f.severity == Finding.Severity.ERROR)
        warnings = sum(1 for f in findings if f.validator == name and f.severity == Finding.Severity.WARNING)
        outcomes[name] = {"passed": errors == 0, "errors": errors, "warnings": warnings}
    return outcomes


def audit_trail(run: Run) -> dict[str, Any]:
    """Everything a safety audit of the run needs (see the module docstring)."""
    run = Run.objects.select_related("created_by", "team").get(pk=run.pk)
    versions = list(run.versions.select_related("created_by").prefetch_related("findings").order_by("number"))
    reviews = {
        review.version_id: review
        for review in Review.objects.filter(run=run).select_related("claimed_by", "decided_by")
    }
    version_rows = []
    safety = []
    for version in versions:
        findings = list(version.findings.all())
        review = reviews.get(version.pk)
        version_rows.append(
            {
                "number": version.number,
                "reason": version.reason,
                "created_by": _who(version.created_by),
                "created_at": _when(version.created_at),
                "sha256": version.sha256,
                "validated": version.validated,
                "passed": version.passed,
                "quality_score": version.quality_score,
                "executed": (version.validation_summary or {}).get("executed"),
                "validators": _validator_outcomes(version.validation_summary or {}, findings),
                "findings": [_finding(f) for f in findings],
                "review_state": review.state if review else None,
            }
        )
        safety += [{"version": version.number, **_finding(f)} for f in findings if f.validator in SAFETY_VALIDATORS]
    return {
        "tutorial_id": run.tutorial_id,
        "generated": {
            "by": _who(run.created_by),
            "team": run.team.name if run.team else None,
            "at": _when(run.created_at),
            "source": {"kind": run.source_kind, "ref": run.source_ref, "subject": run.subject_model},
            "teacher": {"provider": run.teacher_provider, "model": run.teacher_model, "demo": run.is_demo},
            "prompt_versions": run.prompt_versions,
            "options": {
                "difficulty": run.difficulty,
                "language": run.language,
                "research_mode": run.research_mode,
                "max_sections": run.max_sections,
                "execute": run.execute,
            },
            "status": run.status,
            "finished_at": _when(run.finished_at),
        },
        "teacher_calls": [
            {
                "stage": call.stage,
                "section_index": call.section_index,
                "attempt": call.attempt,
                "provider": call.provider,
                "model": call.model,
                "outcome": call.outcome,
                "json_parsed": call.json_parsed,
                "json_repaired": call.json_repaired,
                "schema_valid": call.schema_valid,
                "latency_ms": call.latency_ms,
                "prompt_tokens": call.prompt_tokens,
                "completion_tokens": call.completion_tokens,
                "at": _when(call.created_at),
            }
            for call in run.teacher_calls.order_by("id")
        ],
        "versions": version_rows,
        "safety_findings": safety,
        "decisions": [
            {
                "version": review.version.number,
                "state": review.state,
                "claimed_by": _who(review.claimed_by),
                "decided_by": _who(review.decided_by),
                "decided_at": _when(review.decided_at),
                "comment": review.comment,
            }
            for review in Review.objects.filter(run=run, decided_at__isnull=False)
            .select_related("version", "claimed_by", "decided_by")
            .order_by("decided_at", "id")
        ],
        "approvals": [
            {
                "version": approval.version.number,
                "sha256": approval.sha256,
                "approved_by": _who(approval.approved_by),
                "approved_at": _when(approval.approved_at),
                "withdrawn_at": _when(approval.withdrawn_at),
                "withdrawn_by": _who(approval.withdrawn_by),
                "withdrawn_reason": approval.withdrawn_reason,
            }
            for approval in Approval.objects.filter(run=run).select_related("version", "approved_by", "withdrawn_by")
        ],
        "exports": [
            {
                "version": export.version.number,
                "via": export.via,
                "sha256": export.sha256,
                "by": _who(export.exported_by),
                "at": _when(export.created_at),
            }
            for export in ExportRecord.objects.filter(run=run).select_related("version", "exported_by")
        ],
        "entries": [
            {
                "at": _when(entry.created_at),
                "actor": _who(entry.actor),
                "action": entry.action,
                "version": entry.version.number if entry.version else None,
                "message": entry.message,
                "data": entry.data,
            }
            for entry in AuditEntry.objects.filter(run=run).select_related("actor", "version").order_by("id")
        ],
        "events": [
            {
                "at": _when(event.created_at),
                "stage": event.stage,
                "kind": event.kind,
                "level": event.level,
                "message": event.message,
            }
            for event in run.events.order_by("id")
        ],
    }
