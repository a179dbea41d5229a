"""The product reports: the generation funnel and the diversity scorecard, over a time window.

Both are computed from what runs persist (the append-only event log, notebook versions,
approvals, exports), never from metrics, so they are exact and can be recomputed for any past
window. The portal page, the API (`/api/reports/...`) and `manage.py alain report` all call
`funnel_report`, `diversity_report` or `full_report`; each returns plain dataclasses whose
`as_dict()` is JSON-serialisable.

A run belongs to the window when it was **created** in it (`since <= created_at < until`); what
happened to it afterwards counts even if it happened after `until`, so a window's numbers only
grow while its runs move on.

Funnel steps, each reached at the first moment its evidence was recorded:

- `submitted`: every run of the window, at its `created_at`.
- `outline_ok`: the first `stage_completed` event of the outline stage.
- `sections_ok`: the first `stage_completed` event of the sections stage.
- `validation_pass`: a validated version that passed; reached when that verdict was recorded:
  the first `stage_completed` event of auto-fix (the last checking stage) or `revalidated`
  event at or after the first passing version was built, else that version's `created_at`.
- `approved`: an approval, live or withdrawn since, at its `approved_at`.
- `exported`: an export record, at its `created_at`.

The funnel is cumulative: a run counts at a step only if it also counts at every earlier one,
so conversions never exceed 100%. Durations are medians over the runs that reached the step:
`median_ms_from_submitted` (from the run's creation, queue time included) and
`median_ms_from_previous` (from reaching the previous step). Runs whose evidence has no
timestamp (a stage marked done without its event) count but have no duration.

A run "stops" at the last step it reached. The stopped runs of a step are split into failed,
cancelled, active (queued or running: still moving) and waiting (succeeded, waiting for a
person: review or export); the failure reasons group the failed runs by error stage, error kind
and the first sentence of their error message with numbers, ids, URLs and quoted values
replaced, plus cancellations and reviews that refused the manual.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from generation.models import NotebookVersion, ResearchRecord, Run, RunEvent, RunStatus
from review.models import Approval, ExportRecord, Review, ReviewState

# --- windows -------------------------------------------------------------------------------------

WINDOW_CHOICES: tuple[str, ...] = ("7d", "30d", "90d")
DEFAULT_WINDOW = "30d"
# Beyond a year the report reads every run of the database; ask for it explicitly if ever needed.
MAX_WINDOW = timedelta(days=366)
_WINDOW = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": ("hours", "hour"), "d": ("days", "day"), "w": ("weeks", "week")}


class InvalidWindow(ValueError):
    """A window the reports cannot use; the message is a sentence for people."""


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    label: str  # as asked, normalised: "30d"

    @property
    def description(self) -> str:
        number, unit = int(self.label[:-1]), self.label[-1]
        plural, singular = _UNITS[unit]
        return f"the last {number} {singular if number == 1 else plural}"


def parse_window(text: str | None, *, now: datetime | None = None) -> Window:
    """`7d`, `30d`, `12h`, `2w`... as the window ending now; raises InvalidWindow otherwise."""
    text = (text or "").strip() or DEFAULT_WINDOW
    match = _WINDOW.match(text)
    if match is None:
        raise InvalidWindow(
            f"The window {text[:20]!r} is not a duration such as 7d, 30d or 90d "
            "(a number followed by h for hours, d for days or w for weeks)."
        )
    number, unit = int(match.group(1)), match.group(2).lower()
    length = timedelta(**{_UNITS[unit][0]: number})
    if number < 1 or length > MAX_WINDOW:
        raise InvalidWindow(f"The window must be between 1h and {MAX_WINDOW.days}d, not {text[:20]!r}.")
    until = now or timezone.now()
    return Window(since=until - length, until=until, label=f"{number}{unit}")


# --- funnel definitions ----------------------------------------------------------------------------

FUNNEL_STEPS: tuple[str, ...] = ("submitted", "outline_ok", "sections_ok", "validation_pass", "approved", "exported")
STEP_LABELS: dict[str, str] = {
    "submitted": "Source submitted",
    "outline_ok": "Outline ok",
    "sections_ok": "Sections ok",
    "validation_pass": "Validation passed",
    "approved": "Approved",
    "exported": "Exported",
}
# Failure reasons listed per step; the rest are summed in the step's counts.
REASONS_PER_STEP = 5
# Namespaces listed in the diversity scorecard, most manuals first.
NAMESPACES_LISTED = 10
# The pipeline stage whose completion ends the checking (validation, execution, auto-fix).
_CHECKING_DONE_STAGE = "autofix"
_REFUSED_REVIEWS = {
    ReviewState.REJECTED: "Review: rejected",
    ReviewState.CHANGES_REQUESTED: "Review: changes requested",
}
_ACTIVE = {RunStatus.QUEUED, RunStatus.RUNNING}


@dataclass
class FailureReason:
    stage: str  # where the run stopped (error stage; "review" for a refusal)
    kind: str  # error kind: source, teacher, validation, internal, cancelled, review...
    reason: str  # normalised message, safe to group on; untrusted text: escape when rendering
    count: int


@dataclass
class FunnelStep:
    key: str
    label: str
    count: int
    conversion_from_previous: float | None  # count / previous step's count; None when that is 0
    conversion_from_submitted: float | None
    median_ms_from_submitted: int | None
    median_ms_from_previous: int | None
    # Runs that reached this step and not the next (0 for the last step), split by why.
    stopped: int = 0
    failed: int = 0
    cancelled: int = 0
    active: int = 0
    waiting: int = 0
    top_failures: list[FailureReason] = field(default_factory=list)

    @property
    def stop_breakdown(self) -> str:
        """ "2 failed, 1 cancelled": what became of the runs that stopped at this step."""
        parts = (
            (self.failed, "failed"),
            (self.cancelled, "cancelled"),
            (self.active, "still queued or running"),
            (self.waiting, "waiting for a person"),
        )
        return ", ".join(f"{count} {what}" for count, what in parts if count)


@dataclass
class Funnel:
    provider: str | None  # None: every provider
    teacher_model: str | None  # None: every model (overall, or a provider's total)
    steps: list[FunnelStep]

    @property
    def submitted(self) -> int:
        return self.steps[0].count

    @property
    def steps_with_failures(self) -> list[FunnelStep]:
        return [step for step in self.steps if step.top_failures]


@dataclass
class FunnelReport:
    since: datetime
    until: datetime
    overall: Funnel
    by_provider: list[Funnel]
    by_teacher: list[Funnel]  # one per (provider, teacher model)

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


# --- diversity definitions -------------------------------------------------------------------------

# The big labs' Hugging Face namespaces, lowercase; settings.ALAIN["TOP_MODEL_NAMESPACES"] overrides.
TOP_MODEL_NAMESPACES: tuple[str, ...] = (
    "meta-llama",
    "facebook",
    "google",
    "microsoft",
    "openai",
    "openai-community",
    "mistralai",
    "qwen",
    "deepseek-ai",
    "anthropic",
    "nvidia",
)
TOP, OUTSIDE, UNKNOWN = "top", "outside", "unknown"
BUCKET_LABELS = {
    TOP: "Top providers",
    OUTSIDE: "Outside the top providers",
    UNKNOWN: "Unknown namespace (text or file sources)",
}


def top_namespaces() -> tuple[str, ...]:
    configured = settings.ALAIN.get("TOP_MODEL_NAMESPACES")
    names = TOP_MODEL_NAMESPACES if configured is None else configured
    return tuple(sorted({str(name).strip().lower() for name in names if str(name).strip()}))


@dataclass
class NamespaceBucket:
    key: str  # top, outside, unknown
    label: str
    runs: int
    share_of_runs: float | None
    succeeded: int
    share_of_succeeded: float | None
    passed: int  # reached validation_pass
    pass_rate: float | None  # passed / runs
    exported: int
    export_rate: float | None  # exported / runs


@dataclass
class NamespaceCount:
    namespace: str  # lowercase Hugging Face author; untrusted text
    bucket: str
    runs: int
    passed: int
    exported: int


@dataclass
class DiversityReport:
    since: datetime
    until: datetime
    top_namespaces: list[str]
    runs: int
    succeeded: int
    outside_share_of_runs: float | None
    outside_share_of_succeeded: float | None
    buckets: list[NamespaceBucket]  # top, outside, unknown: in this order
    namespaces: list[NamespaceCount]  # the most common namespaces

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass
class FullReport:
    window: Window
    funnel: FunnelReport
    diversity: DiversityReport

    def as_dict(self) -> dict[str, Any]:
        return {"window": self.window.label, "funnel": self.funnel.as_dict(), "diversity": self.diversity.as_dict()}


# --- what is known of each run -------------------------------------------------------------------


@dataclass
class _RunFacts:
    provider: str
    model: str
    status: str
    stage: str
    error_stage: str
    error_kind: str
    reason: str
    namespace: str  # lowercase; "" when unknown
    reached: dict[str, datetime | None]  # funnel steps reached, in order, with when (None: unknown)
    refusal: str = ""  # the label of the latest refusing review, if any

    @property
    def last_step(self) -> str:
        return list(self.reached)[-1]


def _window_runs(runs: QuerySet[Run] | None, since: datetime, until: datetime | None) -> QuerySet[Run]:
    runs = Run.objects.all() if runs is None else runs
    runs = runs.filter(created_at__gte=since)
    if until is not None:
        runs = runs.filter(created_at__lt=until)
    # A plain pk filter: the caller's queryset may be DISTINCT over joins (visible_runs).
    return Run.objects.filter(pk__in=runs.values("pk"))


def _first_by_run(queryset: QuerySet, column: str) -> dict[int, datetime]:
    return {row["run_id"]: row["first"] for row in queryset.values("run_id").annotate(first=Min(column))}


def _load_facts(runs: QuerySet[Run]) -> list[_RunFacts]:
    run_ids = runs.values("pk")
    stage_done: dict[tuple[int, str], datetime] = {
        (row["run_id"], row["stage"]): row["first"]
        for row in RunEvent.objects.filter(
            run_id__in=run_ids, kind="stage_completed", stage__in=("outline", "sections", _CHECKING_DONE_STAGE)
        )
        .values("run_id", "stage")
        .annotate(first=Min("created_at"))
    }
    verdicts: dict[int, list[datetime]] = defaultdict(list)
    for run_id, at in RunEvent.objects.filter(run_id__in=run_ids, kind="revalidated").values_list(
        "run_id", "created_at"
    ):
        verdicts[run_id].append(at)
    for (run_id, stage), at in stage_done.items():
        if stage == _CHECKING_DONE_STAGE:
            verdicts[run_id].append(at)
    first_pass = _first_by_run(
        NotebookVersion.objects.filter(run_id__in=run_ids, validated=True, passed=True), "created_at"
    )
    first_approval = _first_by_run(Approval.objects.filter(run_id__in=run_ids), "approved_at")
    first_export = _first_by_run(ExportRecord.objects.filter(run_id__in=run_ids), "created_at")
    refusals: dict[int, str] = {}
    # Oldest first, so the latest decided review of each run wins.
    for run_id, state in (
        Review.objects.filter(run_id__in=run_ids, decided_at__isnull=False)
        .order_by("decided_at", "id")
        .values_list("run_id", "state")
    ):
        refusals[run_id] = _REFUSED_REVIEWS.get(state, "")
    authors = dict(
        ResearchRecord.objects.filter(run_id__in=run_ids).values_list("run_id", KT("data__author")).iterator()
    )

    facts = []
    for run in runs.values(
        "pk",
        "tutorial_id",
        "teacher_provider",
        "teacher_model",
        "status",
        "stage",
        "error_stage",
        "error_kind",
        "error_message",
        "completed_stages",
        "created_at",
        "source_kind",
        "source_ref",
    ).order_by("pk"):
        pk = run["pk"]
        completed = set(run["completed_stages"] or ())
        passed_at = first_pass.get(pk)
        evidence: dict[str, tuple[bool, datetime | None]] = {
            "outline_ok": ((pk, "outline") in stage_done or "outline" in completed, stage_done.get((pk, "outline"))),
            "sections_ok": (
                (pk, "sections") in stage_done or "sections" in completed,
                stage_done.get((pk, "sections")),
            ),
            "validation_pass": (passed_at is not None, _verdict_time(passed_at, verdicts.get(pk, ()))),
            "approved": (pk in first_approval, first_approval.get(pk)),
            "exported": (pk in first_export, first_export.get(pk)),
        }
        reached: dict[str, datetime | None] = {"submitted": run["created_at"]}
        for step in FUNNEL_STEPS[1:]:
            has_it, at = evidence[step]
            if not has_it:
                break
            reached[step] = at
        facts.append(
            _RunFacts(
                provider=run["teacher_provider"],
                model=run["teacher_model"],
                status=run["status"],
                stage=run["stage"],
                error_stage=run["error_stage"],
                error_kind=run["error_kind"],
                reason=normalise_reason(run["error_message"], tutorial_id=run["tutorial_id"]),
                namespace=model_namespace(run["source_kind"], run["source_ref"], authors.get(pk)),
                reached=reached,
                refusal=refusals.get(pk, ""),
            )
        )
    return facts


def _verdict_time(passed_at: datetime | None, verdicts: Iterable[datetime]) -> datetime | None:
    if passed_at is None:
        return None
    after = [at for at in verdicts if at >= passed_at]
    return min(after) if after else passed_at


# Replaced in error messages before grouping, most specific first.
_NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "<id>"),
    # Quoted values, not apostrophes: a quote opens after a non-word character and closes before one.
    (re.compile(r"(?<!\w)(?:'[^'\n]{1,200}'|\"[^\"\n]{1,200}\"|`[^`\n]{1,200}`)(?!\w)"), "'…'"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\b\d+(?:[.,]\d+)*"), "N"),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_REASON_CHARS = 160


def normalise_reason(message: str, *, tutorial_id: str = "") -> str:
    """The part of an error message that says why, with what varies between runs replaced.

    Only the first sentence is kept: later ones hold details ("First: ...") that would split one
    cause into many groups.
    """
    text = " ".join((message or "").split())
    if not text:
        return ""
    if tutorial_id:
        text = text.replace(tutorial_id, "<run>")
    text = _SENTENCE_END.split(text, maxsplit=1)[0]
    for pattern, replacement in _NORMALISERS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1].rstrip() + "…"


def model_namespace(source_kind: str, source_ref: str, research_author: str | None = None) -> str:
    """The lowercase Hugging Face author of the subject model; "" for text and file sources.

    The Hub's own `author` (stored by the research stage) wins over the part of the reference
    before "/", which is all that is known of a run that never got past research.
    """
    if source_kind != Run.SourceKind.HF:
        return ""
    if research_author and research_author.strip():
        return research_author.strip().lower()
    repo_id = (source_ref or "").split("@", 1)[0].strip().strip("/")
    namespace, slash, _ = repo_id.partition("/")
    return namespace.strip().lower() if slash else ""


# --- funnel ----------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median_ms(deltas: Sequence[timedelta]) -> int | None:
    if not deltas:
        return None
    return round(statistics.median(delta.total_seconds() for delta in deltas) * 1000)


def _funnel(facts: Sequence[_RunFacts], *, provider: str | None, model: str | None) -> Funnel:
    steps: list[FunnelStep] = []
    submitted = len(facts)
    previous_count: int | None = None
    for index, key in enumerate(FUNNEL_STEPS):
        here = [f for f in facts if key in f.reached]
        from_submitted, from_previous = [], []
        for f in here:
            at, start = f.reached[key], f.reached["submitted"]
            before = f.reached[FUNNEL_STEPS[index - 1]] if index else None
            if index and at is not None and start is not None:
                from_submitted.append(at - start)
            if index and at is not None and before is not None:
                from_previous.append(at - before)
        step = FunnelStep(
            key=key,
            label=STEP_LABELS[key],
            count=len(here),
            conversion_from_previous=None if previous_count is None else _share(len(here), previous_count),
            conversion_from_submitted=_share(len(here), submitted),
            median_ms_from_submitted=_median_ms(from_submitted),
            median_ms_from_previous=_median_ms(from_previous),
        )
        if index < len(FUNNEL_STEPS) - 1:
            _describe_stops(step, [f for f in here if f.last_step == key])
        steps.append(step)
        previous_count = len(here)
    return Funnel(provider=provider, teacher_model=model, steps=steps)


def _describe_stops(step: FunnelStep, stopped: Sequence[_RunFacts]) -> None:
    reasons: Counter[tuple[str, str, str]] = Counter()
    step.stopped = len(stopped)
    for f in stopped:
        if f.status == RunStatus.FAILED:
            step.failed += 1
            reasons[
                (f.error_stage or f.stage, f.error_kind or "unknown", f.reason or "No error message recorded.")
            ] += 1
        elif f.status == RunStatus.CANCELLED:
            step.cancelled += 1
            reasons[(f.stage, "cancelled", "Cancelled.")] += 1
        elif f.status in _ACTIVE:
            step.active += 1
        else:
            step.waiting += 1
            if f.refusal:
                reasons[("review", "review", f.refusal)] += 1
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0][2], item[0][0], item[0][1]))
    step.top_failures = [
        FailureReason(stage=stage, kind=kind, reason=reason, count=count)
        for (stage, kind, reason), count in ranked[:REASONS_PER_STEP]
    ]


def _build_funnel(facts: Sequence[_RunFacts], since: datetime, until: datetime) -> FunnelReport:
    by_provider: dict[str, list[_RunFacts]] = defaultdict(list)
    by_teacher: dict[tuple[str, str], list[_RunFacts]] = defaultdict(list)
    for f in facts:
        by_provider[f.provider].append(f)
        by_teacher[(f.provider, f.model)].append(f)
    # Busiest groups first; names break ties so the order is stable.
    providers = sorted(by_provider.items(), key=lambda item: (-len(item[1]), item[0]))
    teachers = sorted(by_teacher.items(), key=lambda item: (-len(item[1]), item[0]))
    return FunnelReport(
        since=since,
        until=until,
        overall=_funnel(facts, provider=None, model=None),
        by_provider=[_funnel(group, provider=key, model=None) for key, group in providers],
        by_teacher=[_funnel(group, provider=key[0], model=key[1]) for key, group in teachers],
    )


# --- diversity -----------------------------------------------------------------------------------


def _bucket_of(namespace: str, top: frozenset[str]) -> str:
    if not namespace:
        return UNKNOWN
    return TOP if namespace in top else OUTSIDE


def _build_diversity(
    facts: Sequence[_RunFacts], since: datetime, until: datetime, top: Sequence[str]
) -> DiversityReport:
    top_set = frozenset(top)
    total = len(facts)
    succeeded_total = sum(1 for f in facts if f.status == RunStatus.SUCCEEDED)
    grouped: dict[str, list[_RunFacts]] = {TOP: [], OUTSIDE: [], UNKNOWN: []}
    per_namespace: dict[str, list[_RunFacts]] = defaultdict(list)
    for f in facts:
        grouped[_bucket_of(f.namespace, top_set)].append(f)
        if f.namespace:
            per_namespace[f.namespace].append(f)

    buckets = []
    for key, members in grouped.items():
        succeeded = sum(1 for f in members if f.status == RunStatus.SUCCEEDED)
        passed = sum(1 for f in members if "validation_pass" in f.reached)
        exported = sum(1 for f in members if "exported" in f.reached)
        buckets.append(
            NamespaceBucket(
                key=key,
                label=BUCKET_LABELS[key],
                runs=len(members),
                share_of_runs=_share(len(members), total),
                succeeded=succeeded,
                share_of_succeeded=_share(succeeded, succeeded_total),
                passed=passed,
                pass_rate=_share(passed, len(members)),
                exported=exported,
                export_rate=_share(exported, len(members)),
            )
        )
    ranked = sorted(per_namespace.items(), key=lambda item: (-len(item[1]), item[0]))[:NAMESPACES_LISTED]
    outside = buckets[1]
    return DiversityReport(
        since=since,
        until=until,
        top_namespaces=list(top),
        runs=total,
        succeeded=succeeded_total,
        outside_share_of_runs=outside.share_of_runs,
        outside_share_of_succeeded=outside.share_of_succeeded,
        buckets=buckets,
        namespaces=[
            NamespaceCount(
                namespace=namespace,
                bucket=_bucket_of(namespace, top_set),
                runs=len(members),
                passed=sum(1 for f in members if "validation_pass" in f.reached),
                exported=sum(1 for f in members if "exported" in f.reached),
            )
            for namespace, members in ranked
        ],
    )


# --- the services ------------------------------------------------------------------------------


def funnel_report(*, since: datetime, until: datetime | None = None, runs: QuerySet[Run] | None = None) -> FunnelReport:
    """The funnel of the runs created in [since, until), overall, per provider and per teacher model.

    `runs` limits it to a caller's runs (`visible_runs(user)`); all runs when None.
    """
    until = until or timezone.now()
    return _build_funnel(_load_facts(_window_runs(runs, since, until)), since, until)


def diversity_report(
    *,
    since: datetime,
    until: datetime | None = None,
    runs: QuerySet[Run] | None = None,
    namespaces: Sequence[str] | None = None,
) -> DiversityReport:
    """How many manuals of the window are about models outside the top namespaces, and how they fare."""
    until = until or timezone.now()
    top = tuple(sorted({n.strip().lower() for n in namespaces})) if namespaces is not None else top_namespaces()
    return _build_diversity(_load_facts(_window_runs(runs, since, until)), since, until, top)


def full_report(*, window: Window, runs: QuerySet[Run] | None = None) -> FullReport:
    """Both reports over one window, reading the runs once (the portal page and the CLI)."""
    facts = _load_facts(_window_runs(runs, window.since, window.until))
    return FullReport(
        window=window,
        funnel=_build_funnel(facts, window.since, window.until),
        diversity=_build_diversity(facts, window.since, window.until, top_namespaces()),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
