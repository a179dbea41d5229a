"""What the run page shows, read from the rows the pipeline stored (no state changes here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

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


def _total(values: list[int | None]) -> int | None:
    """A column's sum as SQL's SUM has it: None when no row has a value."""
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def teacher_summary(run: Run) -> dict[str, Any]:
    """Calls to the teacher, the attempts that had to be repeated, and what they cost.

    One query for a few small columns of every call: counting HTTP retries needs each call's
    list of attempts (JSON) anyway, and the other totals come with the same rows.
    """
    calls = list(
        run.teacher_calls.values(
            "attempt", "outcome", "json_repaired", "latency_ms", "prompt_tokens", "completion_tokens", "http_attempts"
        )
    )
    latency_ms = _total([call["latency_ms"] for call in calls])
    return {
        "calls": len(calls),
        "retries": sum(1 for call in calls if call["attempt"] > 1),
        "failed": sum(1 for call in calls if call["outcome"] not in ("ok", "salvaged")),
        "repaired": sum(1 for call in calls if call["json_repaired"]),
        "latency_ms": latency_ms,
        "prompt_tokens": _total([call["prompt_tokens"] for call in calls]),
        "completion_tokens": _total([call["completion_tokens"] for call in calls]),
        "http_retries": sum(max(0, len(call["http_attempts"] or []) - 1) for call in calls),
        "time": format_ms(latency_ms or 0),
    }


def recent_events(run: Run) -> tuple[list[Any], int]:
    """The latest events in the order they happened, and how many there are in all."""
    # An event's `data` is for the audit, not the timeline.
    latest = list(run.events.defer("data").order_by("-id")[:EVENTS_SHOWN])
    # Fewer than a full timeline means these are all of them: counting them again would be a query.
    total = len(latest) if len(latest) < EVENTS_SHOWN else run.events.count()
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
    # Both are one-to-one with the run, so one query (a join) reads them together.
    records = (
        Run.objects.filter(pk=run.pk)
        .select_related("outline", "research")
        .only("pk", "outline__data", "research__data", "research__quality_score", "research__thin_card")
        .first()
    )
    outline: Outline | None = getattr(records, "outline", None)
    research: ResearchRecord | None = getattr(records, "research", None)
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


def versions_of(run: Run) -> list[NotebookVersion]:
    """The run's versions, newest first, with their error and warning counts; not their notebooks."""
    return list(
        run.versions.defer("ipynb", "validation_summary")
        .order_by("-number")
        .annotate(
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
    versions = versions_of(run)
    version = versions[0] if versions else None
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
        "versions": versions,
        "downloads": downloads(run, version),
        "can_cancel": user_can_act and run.status in {RunStatus.QUEUED, RunStatus.RUNNING},
        "can_retry": user_can_act and run.status in {RunStatus.FAILED, RunStatus.CANCELLED},
        "needs_review": bool(version and version.validated and version.passed is False),
    }
