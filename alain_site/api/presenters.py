"""Runs as the API shows them. Keys and teacher payloads never appear here."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse

from generation.models import Artifact, Finding, NotebookVersion, Run
from generation.reports import call_metrics

# The newest events shown with a run; the portal's timeline has them all.
EVENTS_SHOWN = 50
# A version's notebook and validation summary can weigh megabytes; a run's summary shows neither.
HEAVY_VERSION_FIELDS = ("ipynb", "validation_summary")
_LATEST_PREFETCHED = "latest_versions"


def run_url(run: Run) -> str:
    return reverse("api:run", kwargs={"ref": run.tutorial_id})


def _version(version: NotebookVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "number": version.number,
        "sha256": version.sha256,
        "reason": version.reason,
        "validated": version.validated,
        "passed": version.passed,
        "quality_score": version.quality_score,
        "created_at": version.created_at,
    }


def _versions_newest_first() -> QuerySet[NotebookVersion]:
    return NotebookVersion.objects.defer(*HEAVY_VERSION_FIELDS).order_by("-number")


def with_latest_version(runs: QuerySet[Run]) -> QuerySet[Run]:
    """`runs` with each run's latest version read by one query for all of them, not one per run."""
    return runs.prefetch_related(
        Prefetch("versions", queryset=_versions_newest_first()[:1], to_attr=_LATEST_PREFETCHED)
    )


def latest_version_of(run: Run) -> NotebookVersion | None:
    """The run's newest version (without its notebook): prefetched by `with_latest_version`, else read now."""
    if hasattr(run, _LATEST_PREFETCHED):
        prefetched = getattr(run, _LATEST_PREFETCHED)
        return prefetched[0] if prefetched else None
    return _versions_newest_first().filter(run_id=run.pk).first()


def run_summary(run: Run) -> dict[str, Any]:
    return _summary(run, latest_version_of(run))


def _summary(run: Run, latest: NotebookVersion | None) -> dict[str, Any]:
    error = (
        {"stage": run.error_stage, "kind": run.error_kind, "message": run.error_message} if run.error_message else None
    )
    return {
        "id": run.tutorial_id,
        "public_id": str(run.public_id),
        "status": run.status,
        "stage": run.stage,
        "subject_model": run.subject_model,
        "source_kind": run.source_kind,
        "source_ref": run.source_ref,
        "teacher": {"provider": run.teacher_provider, "model": run.teacher_model},
        "difficulty": run.difficulty,
        "language": run.language,
        "research_mode": run.research_mode,
        "max_sections": run.max_sections,
        "execute": run.execute,
        "team": run.team.name if run.team_id else None,
        "created_by": run.created_by.get_username() if run.created_by_id else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "completed_stages": list(run.completed_stages),
        "stage_timings_ms": dict(run.stage_timings),
        "error": error,
        "latest_version": _version(latest),
        "url": run_url(run),
        "web_url": reverse("portal:run", kwargs={"ref": run.tutorial_id}),
    }


def findings_summary(version: NotebookVersion | None) -> dict[str, Any] | None:
    if version is None or not version.validated:
        return None
    # Counted by the database: a version can have hundreds of findings, the summary needs their tally.
    tally = (
        Finding.objects.filter(version=version)
        .order_by()
        .values_list("severity", "validator", "code")
        .annotate(count=Count("id"))
    )
    severities: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    for severity, validator, code, count in tally:
        severities[severity] += count
        rules[f"{validator}/{code}"] += count
    return {
        "version": version.number,
        "passed": version.passed,
        "errors": severities.get("error", 0),
        "warnings": severities.get("warning", 0),
        "infos": severities.get("info", 0),
        "by_rule": dict(sorted(rules.items())),
    }


def section_step(artifact: Artifact) -> int:
    """The 1-based step of a section artifact, from its name `sections/NN.json`."""
    return int(artifact.name.rsplit("/", 1)[-1].split(".", 1)[0])


def artifact_url(run: Run, artifact: Artifact) -> str:
    url = reverse("api:run_artifact", kwargs={"ref": run.tutorial_id, "kind": artifact.kind})
    query = []
    if artifact.version_id is not None:
        query.append(f"version={artifact.version.number}")
    if artifact.kind == Artifact.Kind.SECTION:
        query.append(f"step={section_step(artifact)}")
    return url + ("?" + "&".join(query) if query else "")


def run_detail(run: Run) -> dict[str, Any]:
    latest = latest_version_of(run)
    # Only the version's number is shown with each artifact, not the notebook the join would bring.
    artifacts = (
        Artifact.objects.filter(run=run)
        .select_related("version")
        .defer(*(f"version__{name}" for name in HEAVY_VERSION_FIELDS))
        .order_by("kind", "name", "id")
    )
    events = list(run.events.order_by("-id")[:EVENTS_SHOWN].values("created_at", "stage", "kind", "level", "message"))
    # A section's written content (`data`) is not shown here, only its place and state.
    sections = run.sections.order_by("index").values_list("index", "title", "status", "error_message")
    return {
        **_summary(run, latest),
        "sections": [
            {"step": index + 1, "title": title, "status": status, "error_message": error_message}
            for index, title, status, error_message in sections
        ],
        "teacher_calls": call_metrics(list(run.teacher_calls.defer("request_messages", "response_text"))),
        "findings": findings_summary(latest),
        "artifacts": [
            {
                "kind": a.kind,
                "name": a.name,
                "version": a.version.number if a.version_id else None,
                "sha256": a.sha256,
                "size": a.size,
                "url": artifact_url(run, a),
                "purged_at": a.purged_at,
            }
            for a in artifacts
        ],
        "events": list(reversed(events)),
    }


def queued(run: Run) -> dict[str, Any]:
    return {"id": run.tutorial_id, "public_id": str(run.public_id), "status": run.status, "status_url": run_url(run)}
