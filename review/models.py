"""The review workflow's records: one review per queued notebook version, approvals, exports, audit.

Only `review.services` (and `review.exports`) change these rows; the admin and the pages call
the services. The audit log is append-only: a row is written once and never changed or removed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from generation.models import NotebookVersion, Run


class ReviewState(models.TextChoices):
    PENDING = "pending_review", "Pending review"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded by a newer version"


OPEN_STATES: frozenset[str] = frozenset({ReviewState.PENDING, ReviewState.IN_REVIEW})
DECIDED_STATES: frozenset[str] = frozenset({ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED})


class ReviewQuerySet(models.QuerySet):
    def open(self) -> ReviewQuerySet:
        """Reviews still waiting for a decision (pending or claimed)."""
        return self.filter(state__in=OPEN_STATES)


class Review(models.Model):
    """The review of one notebook version that entered the queue.

    Allowed state changes (each one conditional UPDATE in `review.services`):

        pending_review -> in_review          claim (a reviewer who is not the run's author)
        in_review      -> pending_review     release (the claimer or an admin)
        in_review      -> approved | changes_requested | rejected
                                             decide (the claimer or an admin; the latest version only)
        pending_review | in_review -> superseded
                                             a newer version of the run entered the queue; a claim
                                             moves to the newer version's review

    Decided and superseded reviews are final: they are the history of the run. An approval is
    taken back by withdrawing its `Approval` (any edit does that), never by changing the review.
    """

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        ReviewState.PENDING: frozenset({ReviewState.IN_REVIEW, ReviewState.SUPERSEDED}),
        ReviewState.IN_REVIEW: frozenset(
            {
                ReviewState.PENDING,
                ReviewState.APPROVED,
                ReviewState.CHANGES_REQUESTED,
                ReviewState.REJECTED,
                ReviewState.SUPERSEDED,
            }
        ),
        ReviewState.APPROVED: frozenset(),
        ReviewState.CHANGES_REQUESTED: frozenset(),
        ReviewState.REJECTED: frozenset(),
        ReviewState.SUPERSEDED: frozenset(),
    }

    version = models.OneToOneField(NotebookVersion, on_delete=models.CASCADE, related_name="review")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="reviews")
    state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.PENDING, db_index=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"review of {self.version} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ApprovalQuerySet(models.QuerySet):
    def live(self) -> ApprovalQuerySet:
        """Approvals not withdrawn: at most one per run."""
        return self.filter(withdrawn_at__isnull=True)


class Approval(models.Model):
    """Who approved which exact bytes (sha256) of a version, and whether that still holds."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="approvals")
    version = models.ForeignKey(NotebookVersion, on_delete=models.CASCADE, related_name="approvals")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="approvals")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run"], condition=Q(withdrawn_at__isnull=True), name="one_live_approval_per_run"
            )
        ]

    def __str__(self) -> str:
        status = "withdrawn" if self.withdrawn_at else "live"
        return f"approval of {self.version} ({status})"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class ExportRecord(models.Model):
    class Via(models.TextChoices):
        DOWNLOAD = "download", "Download"
        API = "api", "API"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="exports")
    version = models.ForeignKey(NotebookVersion, on_delete=models.CASCADE, related_name="exports")
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=16, choices=Via.choices)
    sha256 = models.CharField(max_length=64, help_text="sha256 of the notebook that was served.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"export of {self.version} via {self.via}"


class AppendOnly(Exception):
    """An audit entry was about to be changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        # The one exception: the database's SET_NULL when a user or a version is deleted.
        if kwargs and set(kwargs) <= {"actor", "version"} and all(value is None for value in kwargs.values()):
            return super().update(**kwargs)
        raise AppendOnly("audit entries are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit entries are never deleted")


class AuditEntry(models.Model):
    """One thing a person (or ALAIN itself, actor None) did to a run in review. Append-only.

    Rows go only when their run goes (a CASCADE from the run is done by the database collector,
    which bypasses `delete()` here on purpose: deleting a run is an admin's decision about data
    retention, not an edit of history).
    """

    class Action(models.TextChoices):
        ENTERED_QUEUE = "entered_queue", "Entered the queue"
        CLAIMED = "claimed", "Claimed"
        RELEASED = "released", "Released"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REJECTED = "rejected", "Rejected"
        CELL_EDITED = "cell_edited", "Cell edited"
        CELL_ADDED = "cell_added", "Cell added"
        CELL_REMOVED = "cell_removed", "Cell removed"
        CELL_MOVED = "cell_moved", "Cell moved"
        SECTION_REGENERATE_REQUESTED = "section_regenerate_requested", "Section regeneration requested"
        APPROVAL_WITHDRAWN = "approval_withdrawn", "Approval withdrawn"
        EXPORTED = "exported", "Exported"
        REVALIDATION_QUEUED = "revalidation_queued", "Revalidation queued"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="audit_entries")
    version = models.ForeignKey(
        NotebookVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action}: {self.message[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise AppendOnly("audit entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit entries are never deleted")
