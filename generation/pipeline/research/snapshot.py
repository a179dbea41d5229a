"""What the Research Scout hands to the rest of the pipeline (persisted as `research.json`).

Only data that is stable for a given (source, revision) lives here, so a rebuilt notebook is
byte-identical; fetch times and cache hits are recorded on the run's events instead.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ResearchMode = Literal["standard", "thorough", "fallback"]
RESEARCH_MODES: tuple[str, ...] = ("standard", "thorough", "fallback")
SourceKind = Literal["hf", "text", "file"]


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    url: str
    kind: Literal["model", "paper", "code", "docs", "license", "base_model", "other"] = "other"


class CardQuality(BaseModel):
    """Documentation quality of the card: a 0-100 score, the signals behind it, and flags."""

    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=0, le=100)
    thin: bool
    signals: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)


class Condensation(BaseModel):
    """How the card text was fitted into the prompt budget; never a silent cut."""

    model_config = ConfigDict(extra="forbid")
    method: Literal["none", "sections-ranked"]
    original_tokens: int
    kept_tokens: int
    kept_sections: list[str] = Field(default_factory=list)
    dropped_sections: list[str] = Field(default_factory=list)


class ResearchSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_kind: SourceKind
    mode: ResearchMode
    # Hugging Face subject (empty for pasted text / files).
    repo_id: str = ""
    requested_revision: str = ""
    revision_sha: str = ""
    # Human label of the subject model: repo id, or the card's title for text sources.
    subject: str
    author: str = ""
    pipeline_tag: str = ""
    library_name: str = ""
    license: str = ""
    languages: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    base_models: list[str] = Field(default_factory=list)
    parameters: int | None = None
    gated: bool = False
    last_modified: str = ""
    front_matter: dict[str, Any] = Field(default_factory=dict)
    # The card body (front matter removed), condensed to the prompt budget as recorded.
    card_text: str = ""
    condensation: Condensation
    # Thorough mode extras.
    config: dict[str, Any] = Field(default_factory=dict)
    generation_config: dict[str, Any] = Field(default_factory=dict)
    references: list[Reference] = Field(default_factory=list)
    quality: CardQuality
    # Plain-words notes for the user (gated fallback, offline cache use, thin card...).
    notes: list[str] = Field(default_factory=list)
