"""Request and response shapes shared by the API's routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from prompts import limits


class HfSourceIn(Schema):
    """A model on the Hugging Face Hub: its id (`Qwen/Qwen3-0.6B`) or its huggingface.co link."""

    kind: Literal["hf"]
    ref: str = Field(..., min_length=1, max_length=500, description="Model id or huggingface.co link.")


class TextSourceIn(Schema):
    """The model card's text, pasted."""

    kind: Literal["text"]
    text: str = Field(..., min_length=1, description="The card's text (Markdown or plain text).")


class FileSourceIn(Schema):
    """An uploaded file: its name (.md, .markdown or .txt) and its text."""

    kind: Literal["file"]
    name: str = Field(..., min_length=1, max_length=200, description="The file's name.")
    text: str = Field(..., min_length=1, description="The file's text.")


SourceIn = Annotated[HfSourceIn | TextSourceIn | FileSourceIn, Field(discriminator="kind")]


class OptionsIn(Schema):
    """How the manual is written. The teacher is one of the configured providers (GET /api/providers)."""

    provider: str | None = Field(None, max_length=40, description="Provider key; the default provider if absent.")
    teacher_model: str | None = Field(None, max_length=200, description="Model id; the provider's default if absent.")
    difficulty: Literal["beginner", "intermediate", "advanced"] = "beginner"
    language: str = Field("en", max_length=16, description="ISO code of the manual's language.")
    research_mode: Literal["standard", "thorough", "fallback"] = "standard"
    max_sections: int = Field(limits.STEPS_DEFAULT, ge=limits.STEPS_MIN, le=limits.STEPS_MAX)
    execute: bool = Field(True, description="Execute the notebook in the sandbox during validation.")
    team: str | None = Field(None, max_length=150, description="A team of yours that will see the run.")


class GenerateIn(Schema):
    source: SourceIn
    options: OptionsIn = Field(default_factory=OptionsIn)


class TeacherOut(Schema):
    provider: str
    model: str


class VersionOut(Schema):
    number: int
    sha256: str
    reason: str
    validated: bool
    passed: bool | None
    quality_score: int | None
    created_at: datetime


class RunErrorOut(Schema):
    stage: str
    kind: str
    message: str


class RunOut(Schema):
    id: str = Field(..., description="The run's tutorial id (its public_id works too).")
    public_id: str
    status: str
    stage: str
    subject_model: str
    source_kind: str
    source_ref: str
    teacher: TeacherOut
    difficulty: str
    language: str
    research_mode: str
    max_sections: int
    execute: bool
    team: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    completed_stages: list[str]
    stage_timings_ms: dict[str, int]
    error: RunErrorOut | None
    latest_version: VersionOut | None
    url: str = Field(..., description="This run in the API (its status URL).")
    web_url: str = Field(..., description="This run's page in the portal.")


class RunSectionOut(Schema):
    step: int
    title: str
    status: str
    error_message: str


class FindingsSummaryOut(Schema):
    version: int
    passed: bool | None
    errors: int
    warnings: int
    infos: int
    by_rule: dict[str, int]


class ArtifactOut(Schema):
    kind: str
    name: str
    version: int | None
    sha256: str
    size: int
    url: str
    purged_at: datetime | None = Field(None, description="When retention deleted the file (its URL answers 410).")


class RunDetailOut(RunOut):
    sections: list[RunSectionOut]
    teacher_calls: dict[str, Any]
    findings: FindingsSummaryOut | None
    artifacts: list[ArtifactOut]
    events: list[dict[str, Any]]


class QueuedOut(Schema):
    id: str
    public_id: str
    status: str
    status_url: str
