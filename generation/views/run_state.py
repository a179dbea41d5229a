"""What the run page shows, read from the rows the pipeline stored (no state changes here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum

from generation.models import STAGES, Artifact, NotebookVersion, Outline, ResearchRecord, Run, RunStatus, Section
from generation.rendering import render_markdown
from generation.views.pages import STAGE_SENTENCES, STAGE_TITLES

EVENTS_SHOWN = 50

STATE_LABELS = {
    "done": "Done",
    "running": "In progress",
    "failed": "Failed",
    "stopped": "Stopped",
    "waiting": "Not started",
}

# What a person can do about each kind of failure (Run.error_kind).
NEXT_STEPS = {
    "source": "The source could not be used. Check the model id or the card text, then generate a new manual.",
    "teacher": "The teacher failed or never produced a valid reply. Check that the provider is reachable and "
    "configured, then retry: the run resumes at the failed stage and keeps what is done.",
    "validation": "The manual was built but does not pass validation. Open the notebook viewer to read the "
    "findings next to their cells; a reviewer can edit and revalidate it.",
    "cancelled": "The run was cancelled. Retry it to resume where it stopped.",
    "internal": "Something went wrong inside ALAIN. Retry the run; if it fails again, give an operator the "
    "tutorial id so they can find it in the worker's log.",
}


def format_ms(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


@dataclass(frozen=True)
class StageRow:
    key: str
    number: int
    title: str
    sentence: str
    state: str
    timing: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _stage_state(run: Run, key: str) -> str:
    if key in run.completed_stages:
        return "done"
    where = run.error_stage or run.stage
    if run.status == RunStatus.FAILED and key == where:
        return "failed"
    if run.status == RunStatus.RUNNING and key == run.stage:
        return "running"
    if run.status == RunStatus.CANCELLED and key == run.stage:
        return "stopped"
    return "waiting"


def stage_rows(run: Run) -> list[StageRow]:
    return [
        StageRow(
            key=key,
            number=number,
            title=STAGE_TITLES[key],
            sentence=STAGE_SENTENCES[key],
            state=_stage_state(run, key),
            timing=format_ms(run.stage_timings.get(key)),
        )
        for number, key in enumerate(STAGES, start=1)
    ]


def next_step(run: Run) -> str:
    if run.status == RunStatus.CANCELLED:
        return NEXT_STEPS["cancelled"]
    if run.status != RunStatus.FAILED:
        return ""
    return NEXT_STEPS.get(run.error_kind, NEXT_STEPS["internal"])


def teacher_summary(run: Run) -> dict[str, Any]:
    """Calls to the teacher, the attempts that had to be repeated, and what they cost."""
    totals = run.teacher_calls.aggregate(
        calls=Count("id"),
        retries=Count("id", filter=Q(attempt__gt=1)),
        failed=Count("id", filter=~Q(outcome__in=["ok", "salvaged"])),
        repaired=Count("id", filter=Q(json_repaired=True)),
        latency_ms=Sum("latency_ms"),
        prompt_tokens=Sum("prompt_tokens"),
        completion_tokens=Sum("completion_tokens"),
    )
    http_retries = sum(
        max(0, len(attempts or []) - 1) for attempts in run.teacher_calls.values_list("http_attempts", flat=True)
    )
    return {**totals, "http_retries": http_retries, "time": format_ms(totals["latency_ms"] or 0)}


def recent_events(run: Run) -> tuple[list[Any], int]:
    """The latest events in the order they happened, and how many there are in all."""
    total = run.events.count()
    latest = list(run.events.order_by("-id")[:EVENTS_SHOWN])
    latest.reverse()
    return latest, total


def _maker(research: dict[str, Any]) -> str:
    if research.get("author"):
        return str(research["author"])
    repo_id = str(research.get("repo_id") or "")
    if "/" in repo_id:
        return repo_id.split("/", 1)[0]
    front = research.get("front_matter") or {}
    for key in ("model_creator", "author", "developers", "organization"):
        if front.get(key):
            value = front[key]
            return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return ""


def preview(run: Run) -> dict[str, Any] | None:
    """Title, objectives, first step, model maker and card quality, as far as the run got."""
    outline = Outline.objects.filter(run=run).first()
    research = ResearchRecord.objects.filter(run=run).first()
    if outline is None and research is None:
        return None
    data: dict[str, Any] = {}
    if outline is not None:
        plan = outline.data or {}
        steps = plan.get("steps") or []
        data.update(title=plan.get("title", ""), objectives=plan.get("objectives") or [], first_step=None)
        if steps:
            first = {"title": steps[0].get("title", ""), "goal": steps[0].get("goal", ""), "explanation": ""}
            section = Section.objects.filter(run=run, index=0, status=Section.Status.DONE).first()
            if section is not None and section.data:
                first["explanation"] = render_markdown(section.data.get("explanation", ""), heading_offset=3)
            data["first_step"] = first
    if research is not None:
        snapshot = research.data or {}
        data.update(
            maker=_maker(snapshot),
            subject=snapshot.get("subject", ""),
            license=snapshot.get("license", ""),
            quality_score=research.quality_score,
            thin_card=research.thin_card,
            research_notes=snapshot.get("notes") or [],
        )
    return data


def latest_version(run: Run) -> NotebookVersion | None:
    return run.versions.order_by("-number").first()


def versions_of(run: Run) -> list[NotebookVersion]:
    return list(
        run.versions.order_by("-number").annotate(
            errors=Count("findings", filter=Q(findings__severity="error")),
            warnings=Count("findings", filter=Q(findings__severity="warning")),
        )
    )


def downloads(run: Run, version: NotebookVersion | None) -> list[Artifact]:
    if version is None:
        return []
    return list(Artifact.objects.filter(run=run, version=version).order_by("name"))


def duration(run: Run) -> str:
    if not (run.started_at and run.finished_at):
        return ""
    return format_ms(int((run.finished_at - run.started_at).total_seconds() * 1000))


def run_context(run: Run, *, user_can_act: bool) -> dict[str, Any]:
    """Everything the live part of the run page shows."""
    events, event_total = recent_events(run)
    version = latest_version(run)
    return {
        "run": run,
        "stages": stage_rows(run),
        "stages_done": len(run.completed_stages),
        "stage_count": len(STAGES),
        "current_stage": STAGE_TITLES.get(run.stage, ""),
        "duration": duration(run),
        "next_step": next_step(run),
        "teacher": teacher_summary(run),
        "events": events,
        "event_total": event_total,
        "preview": preview(run),
        "version": version,
        "versions": versions_of(run),
        "downloads": downloads(run, version),
        "can_cancel": user_can_act and run.status in {RunStatus.QUEUED, RunStatus.RUNNING},
        "can_retry": user_can_act and run.status in {RunStatus.FAILED, RunStatus.CANCELLED},
        "needs_review": bool(version and version.validated and version.passed is False),
    }
