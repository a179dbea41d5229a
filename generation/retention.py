"""Retention: which stored files and teacher-call payloads are purged once old, and what never is.

The window is `ALAIN["RETENTION_DAYS"]` (default 30; 0 keeps everything forever), or the
`--older-than` of `manage.py alain purge`. With `cutoff = now - window`:

Never touched: the latest version of a run; a version that was ever approved (a withdrawn
approval too: the audit trail and refresh diffs name it); a version that was exported; a
version whose review is still open; every row (runs, versions, Artifact rows with their
sha256, reviews, approvals, exports, audit entries). Purging only deletes files and empties
payload columns.

1. Artifact files (the file is deleted, `Artifact.purged_at` set):
   a. of a version that none of the above keeps and that was superseded before the cutoff
      (its run's next version was created before the cutoff). The age counts from the moment a newer
      version replaced it, not from its own birth: a version that was current until yesterday
      stays downloadable for a whole window.
   b. of a failed or cancelled run that finished before the cutoff: its files that belong to
      no version, when no version of the run is approved or exported. Its versions follow (a):
      the latest one stays, as everywhere, because it is what the run page and the review
      queue show.
2. Teacher-call payloads (`request_messages` and `response_text` emptied, `payload_purged_at`
   set; the call's metrics stay) of a run that rule 1 applies to (failed or cancelled, or
   holding a version expired under (a)) and that keeps nothing and is quiet: finished (not
   queued or running) before the cutoff, no version created since, none approved or exported,
   no open review. Payloads belong to a run, not to a version, so a run whose work someone
   kept keeps them all.

Safe to run at any time, twice, or beside a publishing worker: a publish writes only the newest
version of a run, which is never purged; each file and each run's payloads are claimed by one
conditional UPDATE that repeats every condition above, so a version approved, exported or
re-queued meanwhile is skipped; and a second purge finds nothing left to claim. No stage reads
payloads back, so emptying those of a run that is retried a moment later loses only history.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from generation.models import Artifact, NotebookVersion, Run, RunStatus, TeacherCall

logger = logging.getLogger(__name__)

FINISHED: tuple[str, ...] = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
ENDED_BADLY: tuple[str, ...] = (RunStatus.FAILED, RunStatus.CANCELLED)
# review.models.OPEN_STATES (pending and claimed reviews). generation never imports review
# (DESIGN: review -> generation); its rows are reached through their reverse relations
# (approvals, exports, review/reviews), and a test keeps these values equal to review's.
OPEN_REVIEW_STATES: tuple[str, ...] = ("pending_review", "in_review")

_AGE = re.compile(r"^\s*(\d{1,5})\s*([hdw]?)\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks", "": "days"}


class RetentionError(ValueError):
    """A retention window that cannot be used; the message is a sentence for people."""


def parse_age(text: str) -> timedelta:
    """`30d`, `12h`, `2w` or a bare number of days, as a duration of at least one hour."""
    match = _AGE.match(text or "")
    if match is None:
        raise RetentionError(
            f"{(text or '')[:20]!r} is not an age such as 30d, 12h or 2w "
            "(a number followed by h for hours, d for days or w for weeks)."
        )
    number, unit = int(match.group(1)), match.group(2).lower()
    if number < 1:
        raise RetentionError(
            "The age must be at least 1h; to keep everything, set ALAIN_RETENTION_DAYS=0 instead of purging."
        )
    return timedelta(**{_UNITS[unit]: number})


def age_label(age: timedelta) -> str:
    if age % timedelta(days=1) == timedelta(0):
        return f"{age.days}d"
    return f"{int(age.total_seconds() // 3600)}h"


def configured_age() -> timedelta | None:
    """The window from the settings, or None when retention is off (ALAIN_RETENTION_DAYS=0)."""
    days = settings.ALAIN.get("RETENTION_DAYS", 30)
    return timedelta(days=days) if days else None


# --- what expires ------------------------------------------------------------------------------


def expired_versions(cutoff: datetime) -> QuerySet[NotebookVersion]:
    """Versions whose files rule 1a purges: superseded before `cutoff` and kept by nothing."""
    next_created = (
        NotebookVersion.objects.filter(run_id=OuterRef("run_id"), number__gt=OuterRef("number"))
        .order_by("number")
        .values("created_at")[:1]
    )
    return (
        NotebookVersion.objects.annotate(superseded_at=Subquery(next_created))
        .filter(superseded_at__lt=cutoff, approvals__isnull=True, exports__isnull=True)
        .exclude(review__state__in=OPEN_REVIEW_STATES)
    )


def _keeps_nothing() -> Q:
    """On Run: no version ever approved (even if withdrawn since) or exported."""
    return Q(approvals__isnull=True, exports__isnull=True)


def _ended_badly_before(cutoff: datetime) -> Q:
    return Q(status__in=ENDED_BADLY, finished_at__lt=cutoff)


def expired_artifacts(cutoff: datetime) -> QuerySet[Artifact]:
    """Artifact rows whose files rule 1 purges (not yet purged)."""
    versionless_runs = Run.objects.filter(_ended_badly_before(cutoff), _keeps_nothing())
    return Artifact.objects.filter(purged_at__isnull=True).filter(
        Q(version__in=expired_versions(cutoff).values("pk"))
        | Q(version__isnull=True, run__in=versionless_runs.values("pk"))
    )


def expired_payload_runs(cutoff: datetime) -> QuerySet[Run]:
    """Runs whose teacher-call payloads rule 2 empties."""
    newer_than_cutoff = NotebookVersion.objects.filter(run_id=OuterRef("pk"), created_at__gte=cutoff)
    expired_here = expired_versions(cutoff).filter(run_id=OuterRef("pk"))
    return (
        Run.objects.filter(_keeps_nothing(), status__in=FINISHED, finished_at__lt=cutoff)
        .exclude(reviews__state__in=OPEN_REVIEW_STATES)
        .exclude(Exists(newer_than_cutoff))
        .filter(Q(status__in=ENDED_BADLY) | Q(Exists(expired_here)))
    )


def purged_message(artifact: Artifact) -> str:
    """Why a purged artifact's file is gone: the API's and the portal's answer (410 Gone)."""
    version = f" of version {artifact.version.number}" if artifact.version_id else ""
    return (
        f"{artifact.name}{version} of run {artifact.run.tutorial_id} was deleted by the retention policy on "
        f"{artifact.purged_at:%Y-%m-%d}: it was superseded and never approved or exported. "
        f"Its record stays (sha256 {artifact.sha256})."
    )


# --- the report --------------------------------------------------------------------------------


@dataclass
class RunPurge:
    """What went (or would go) of one run."""

    tutorial_id: str
    status: str
    versions: set[int] = field(default_factory=set)
    files: int = 0
    bytes: int = 0
    teacher_calls: int = 0
    payload_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tutorial_id": self.tutorial_id,
            "status": self.status,
            "versions": sorted(self.versions),
            "files": self.files,
            "bytes": self.bytes,
            "teacher_calls": self.teacher_calls,
            "payload_bytes": self.payload_bytes,
        }


@dataclass
class PurgeReport:
    enabled: bool
    dry_run: bool
    older_than: str = ""
    cutoff: datetime | None = None
    runs: dict[str, RunPurge] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def run(self, run: Run) -> RunPurge:
        return self.runs.setdefault(run.tutorial_id, RunPurge(tutorial_id=run.tutorial_id, status=run.status))

    @property
    def files(self) -> int:
        return sum(r.files for r in self.runs.values())

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.runs.values())

    @property
    def versions(self) -> int:
        return sum(len(r.versions) for r in self.runs.values())

    @property
    def teacher_calls(self) -> int:
        return sum(r.teacher_calls for r in self.runs.values())

    @property
    def payload_bytes(self) -> int:
        return sum(r.payload_bytes for r in self.runs.values())

    def summary(self) -> str:
        if not self.enabled:
            return (
                "Retention is off (ALAIN_RETENTION_DAYS=0): nothing was purged. Give --older-than to purge once anyway."
            )
        verb = "Would purge" if self.dry_run else "Purged"
        runs = len(self.runs)
        text = (
            f"{verb} {self.files} file{'s' if self.files != 1 else ''} ({_size(self.bytes)}) of "
            f"{self.versions} version{'s' if self.versions != 1 else ''} and {self.teacher_calls} teacher-call "
            f"payload{'s' if self.teacher_calls != 1 else ''} ({_size(self.payload_bytes)}) in {runs} "
            f"run{'s' if runs != 1 else ''}, older than {self.older_than} (before {self.cutoff:%Y-%m-%d %H:%M} UTC)."
        )
        if self.errors:
            text += f" {len(self.errors)} file{'s' if len(self.errors) != 1 else ''} could not be deleted."
        return text

    def lines(self) -> list[str]:
        """One line per run, for people."""
        out = []
        for item in sorted(self.runs.values(), key=lambda r: r.tutorial_id):
            parts = []
            if item.files:
                versions = ", ".join(f"v{n}" for n in sorted(item.versions)) or "no version"
                parts.append(f"{item.files} files of {versions} ({_size(item.bytes)})")
            if item.teacher_calls:
                parts.append(f"{item.teacher_calls} teacher-call payloads ({_size(item.payload_bytes)})")
            out.append(f"{item.tutorial_id} [{item.status}]: {'; '.join(parts)}")
        return out + [f"error: {error}" for error in self.errors]

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "dry_run": self.dry_run,
            "older_than": self.older_than or None,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "files": self.files,
            "bytes": self.bytes,
            "versions": self.versions,
            "teacher_calls": self.teacher_calls,
            "payload_bytes": self.payload_bytes,
            "runs": [r.as_dict() for r in sorted(self.runs.values(), key=lambda r: r.tutorial_id)],
            "errors": list(self.errors),
        }


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # pragma: no cover


def _payload_bytes(messages: Any, response: str) -> int:
    return len(json.dumps(messages, ensure_ascii=False).encode("utf-8")) + len((response or "").encode("utf-8"))


# --- purging -----------------------------------------------------------------------------------


def retention_purge(*, older_than: timedelta | None = None, dry_run: bool = False) -> PurgeReport:
    """Purge what the policy lets go (see the module docstring); with `dry_run`, only list it.

    `older_than` overrides ALAIN_RETENTION_DAYS, even when that is 0 (retention off).
    """
    age = older_than if older_than is not None else configured_age()
    if age is None:
        return PurgeReport(enabled=False, dry_run=dry_run)
    if age <= timedelta(0):
        raise RetentionError("The age must be at least 1h.")
    now = timezone.now()
    cutoff = now - age
    report = PurgeReport(enabled=True, dry_run=dry_run, older_than=age_label(age), cutoff=cutoff)
    _purge_files(report, cutoff=cutoff, now=now)
    _purge_payloads(report, cutoff=cutoff, now=now)
    logger.info("retention: %s", report.summary())
    return report


def _purge_files(report: PurgeReport, *, cutoff: datetime, now: datetime) -> None:
    candidates = expired_artifacts(cutoff).select_related("run", "version").order_by("run_id", "path")
    for artifact in candidates:
        if not report.dry_run and not _purge_file(artifact, cutoff=cutoff, now=now, errors=report.errors):
            continue
        item = report.run(artifact.run)
        item.files += 1
        item.bytes += artifact.size
        if artifact.version_id is not None:
            item.versions.add(artifact.version.number)


def _purge_file(artifact: Artifact, *, cutoff: datetime, now: datetime, errors: list[str]) -> bool:
    # Claim first, with every condition again in the same UPDATE: a version approved, exported
    # or purged by someone else since the listing is left alone. A process killed between the
    # claim and the delete leaves an orphan file behind, never a row that serves a missing file.
    claimed = expired_artifacts(cutoff).filter(pk=artifact.pk).update(purged_at=now)
    if not claimed:
        return False
    try:
        default_storage.delete(artifact.path)
    except Exception as exc:
        # The row must not claim a purge that did not happen: the next purge tries again.
        Artifact.objects.filter(pk=artifact.pk, purged_at=now).update(purged_at=None)
        errors.append(f"{artifact.path}: {type(exc).__name__}: {exc}")
        logger.warning("retention could not delete %s", artifact.path, exc_info=True)
        return False
    return True


def _purge_payloads(report: PurgeReport, *, cutoff: datetime, now: datetime) -> None:
    for run in expired_payload_runs(cutoff).order_by("pk"):
        sizes = dict(_measure(TeacherCall.objects.filter(run=run, payload_purged_at__isnull=True)))
        if not sizes:
            continue
        if not report.dry_run:
            TeacherCall.objects.filter(
                pk__in=list(sizes),
                payload_purged_at__isnull=True,
                run__in=expired_payload_runs(cutoff).filter(pk=run.pk).values("pk"),
            ).update(request_messages=[], response_text="", payload_purged_at=now)
            # Count what this purge emptied, not what a concurrent one did.
            emptied = set(
                TeacherCall.objects.filter(pk__in=list(sizes), payload_purged_at=now).values_list("pk", flat=True)
            )
            sizes = {pk: size for pk, size in sizes.items() if pk in emptied}
            if not sizes:
                continue
        item = report.run(run)
        item.teacher_calls += len(sizes)
        item.payload_bytes += sum(sizes.values())


def _measure(calls: QuerySet[TeacherCall]) -> Iterable[tuple[int, int]]:
    for pk, messages, response in calls.values_list("pk", "request_messages", "response_text").iterator():
        yield pk, _payload_bytes(messages, response)
