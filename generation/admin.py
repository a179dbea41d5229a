"""Admin views of runs and what they stored. Changes of state go through services (issue 5)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from generation import queueing, services
from generation.models import Artifact, Finding, NotebookVersion, Run, RunEvent, Section, TeacherCall


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        # Shown, never edited; listing them read-only also allows non-editable ones (created_at).
        return self.fields


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ("index", "title", "status", "prompt_version", "error_message")


class VersionInline(ReadOnlyInline):
    model = NotebookVersion
    fields = ("number", "reason", "validated", "passed", "quality_score", "sha256", "created_at")


class TeacherCallInline(ReadOnlyInline):
    model = TeacherCall
    fields = ("stage", "section_index", "attempt", "structured_mode", "outcome", "latency_ms", "completion_tokens")


class EventInline(ReadOnlyInline):
    model = RunEvent
    fields = ("created_at", "stage", "level", "kind", "message")
    show_change_link = False


def _each_run(
    modeladmin: admin.ModelAdmin, request: HttpRequest, runs: QuerySet[Run], action: Callable[[Run], object], done: str
) -> None:
    """Apply a service to every selected run; a run it refuses is reported, not fatal."""
    changed = 0
    for run in runs:
        try:
            action(run)
        except services.InvalidTransition as exc:
            modeladmin.message_user(request, f"{run.tutorial_id}: {exc}.", level=messages.WARNING)
        else:
            changed += 1
    if changed:
        modeladmin.message_user(request, f"{changed} run(s) {done}.", level=messages.SUCCESS)


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = (
        "tutorial_id",
        "subject_model",
        "teacher_provider",
        "teacher_model",
        "status",
        "stage",
        "team",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "teacher_provider", "difficulty", "research_mode", "source_kind", "team")
    search_fields = ("tutorial_id", "subject_model", "source_ref")
    list_select_related = ("team", "created_by")
    readonly_fields = [field.name for field in Run._meta.fields]
    inlines = [SectionInline, VersionInline, TeacherCallInline, EventInline]
    actions = ["retry_runs", "cancel_runs"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry the selected failed or cancelled runs", permissions=["change"])
    def retry_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        who = request.user.get_username()
        _each_run(
            self,
            request,
            queryset,
            lambda run: queueing.retry_run(run, reason=f"Retried by {who} in the admin."),
            "queued again",
        )

    @admin.action(description="Cancel the selected queued or running runs", permissions=["change"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        who = request.user.get_username()
        _each_run(
            self,
            request,
            queryset,
            lambda run: services.run_cancel(run=run, reason=f"by {who} in the admin"),
            "cancelled",
        )


@admin.register(NotebookVersion)
class NotebookVersionAdmin(admin.ModelAdmin):
    actions = ["revalidate_versions"]
    list_display = ("__str__", "validated", "passed", "quality_score", "created_at")
    list_filter = ("passed", "validated")
    search_fields = ("run__tutorial_id",)
    readonly_fields = [field.name for field in NotebookVersion._meta.fields]

    @admin.action(description="Validate the selected versions again (queued)", permissions=["change"])
    def revalidate_versions(self, request: HttpRequest, queryset: QuerySet[NotebookVersion]) -> None:
        for version in queryset.select_related("run"):
            queueing.queue_revalidation(version)
        self.message_user(request, f"{queryset.count()} version(s) queued for validation; findings update when done.")

    class FindingInline(ReadOnlyInline):
        model = Finding
        fields = ("cell_index", "severity", "validator", "code", "message", "fixable")
        show_change_link = False

    inlines = [FindingInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ("run", "name", "kind", "size", "sha256", "created_at")
    list_filter = ("kind",)
    search_fields = ("run__tutorial_id", "name")
    readonly_fields = [field.name for field in Artifact._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(RunEvent)
class RunEventAdmin(admin.ModelAdmin):
    """The audit log of runs: read-only, nobody adds, edits or deletes an entry."""

    list_display = ("created_at", "run", "stage", "level", "kind", "message")
    list_filter = ("level", "kind", "stage")
    search_fields = ("run__tutorial_id", "message")
    list_select_related = ("run",)
    readonly_fields = [field.name for field in RunEvent._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
