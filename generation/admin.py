"""Admin views of runs and what they stored. Changes of state go through services (issue 5)."""

from __future__ import annotations

from django.contrib import admin

from generation.models import Artifact, Finding, NotebookVersion, Run, RunEvent, Section, TeacherCall


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ("index", "title", "status", "prompt_version", "error_message")


class VersionInline(ReadOnlyInline):
    model = NotebookVersion
    fields = ("number", "reason", "passed", "quality_score", "sha256", "created_at")


class TeacherCallInline(ReadOnlyInline):
    model = TeacherCall
    fields = ("stage", "section_index", "attempt", "structured_mode", "outcome", "latency_ms", "completion_tokens")


class EventInline(ReadOnlyInline):
    model = RunEvent
    fields = ("created_at", "stage", "level", "kind", "message")


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = (
        "tutorial_id",
        "subject_model",
        "teacher_provider",
        "teacher_model",
        "status",
        "stage",
        "created_at",
    )
    list_filter = ("status", "teacher_provider", "difficulty", "research_mode", "source_kind")
    search_fields = ("tutorial_id", "subject_model", "source_ref")
    readonly_fields = [field.name for field in Run._meta.fields]
    inlines = [SectionInline, VersionInline, TeacherCallInline, EventInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotebookVersion)
class NotebookVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "passed", "quality_score", "created_at")
    readonly_fields = [field.name for field in NotebookVersion._meta.fields]

    class FindingInline(ReadOnlyInline):
        model = Finding
        fields = ("cell_index", "severity", "validator", "code", "message", "fixable")

    inlines = [FindingInline]


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ("run", "name", "kind", "size", "sha256", "created_at")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in Artifact._meta.fields]
