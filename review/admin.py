"""Admin views of the review workflow. Every change goes through `review.services`; the audit log is append-only."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from alain_site.accounts.roles import is_reviewer
from review import services
from review.models import Approval, AuditEntry, ExportRecord, Review


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, edited or deleted here: rows change only through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        """Who sees the actions (the services still check each row)."""
        return is_reviewer(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


def _each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: QuerySet,
    action: Callable[[object], object],
    done: str,
) -> None:
    """Apply a service to every selected row; a refusal is reported with its reason, not fatal."""
    changed = 0
    for row in rows:
        try:
            action(row)
        except services.ReviewError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", level=messages.WARNING)
        else:
            changed += 1
    if changed:
        modeladmin.message_user(request, f"{changed} {done}.", level=messages.SUCCESS)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "state", "run_team", "run_provider", "claimed_by", "decided_by", "created_at")
    list_filter = ("state", ("run__team", admin.RelatedOnlyFieldListFilter), "run__teacher_provider")
    search_fields = ("run__tutorial_id", "comment")
    list_select_related = ("run", "run__team", "version", "claimed_by", "decided_by")
    date_hierarchy = "created_at"
    actions = ["claim_reviews", "release_reviews", "revalidate_versions"]

    @admin.display(description="team", ordering="run__team__name")
    def run_team(self, review: Review) -> str:
        return review.run.team.name if review.run.team else "-"

    @admin.display(description="provider", ordering="run__teacher_provider")
    def run_provider(self, review: Review) -> str:
        return review.run.teacher_provider

    @admin.action(description="Claim the selected reviews", permissions=["review"])
    def claim_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _each(self, request, queryset, lambda review: services.claim(review, request.user), "review(s) claimed")

    @admin.action(description="Release the selected reviews back to the queue", permissions=["review"])
    def release_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _each(self, request, queryset, lambda review: services.release(review, request.user), "review(s) released")

    @admin.action(description="Validate the selected reviews' versions again (queued)", permissions=["review"])
    def revalidate_versions(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _each(
            self,
            request,
            queryset,
            lambda review: services.request_revalidation(review.version, request.user),
            "version(s) queued for validation; findings update when done",
        )


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "approved_by", "approved_at", "sha256", "withdrawn_at", "withdrawn_by")
    list_filter = (("withdrawn_at", admin.EmptyFieldListFilter), "run__teacher_provider")
    search_fields = ("run__tutorial_id", "sha256")
    list_select_related = ("run", "version", "approved_by", "withdrawn_by")
    actions = ["withdraw_approvals"]

    @admin.action(description="Withdraw the selected approvals", permissions=["review"])
    def withdraw_approvals(self, request: HttpRequest, queryset: QuerySet[Approval]) -> None:
        _each(
            self,
            request,
            queryset.filter(withdrawn_at__isnull=True),
            lambda approval: services.withdraw_approval(approval.run, request.user, reason="withdrawn in the admin"),
            "approval(s) withdrawn",
        )


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "via", "exported_by", "sha256", "created_at")
    list_filter = ("via",)
    search_fields = ("run__tutorial_id", "sha256")
    list_select_related = ("run", "version", "exported_by")
    date_hierarchy = "created_at"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The review audit log: append-only, so nobody (not even a superuser) adds, edits or deletes here."""

    list_display = ("created_at", "run", "version", "actor", "action", "message")
    list_filter = ("action",)
    search_fields = ("run__tutorial_id", "message")
    list_select_related = ("run", "version", "actor")
    date_hierarchy = "created_at"
    actions = None
