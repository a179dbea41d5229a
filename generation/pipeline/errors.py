"""Errors that stop a run, each naming the stage and saying why in one sentence."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: `stage` is where the run stopped; `message` is shown to people as is."""

    kind = "pipeline"

    def __init__(self, message: str, *, stage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage


class SourceError(PipelineError):
    """The source (model reference, text, file) is unusable: bad input, not found, gated..."""

    kind = "source"


class SourceUnavailable(SourceError):
    """The source's host (the Hugging Face Hub) cannot answer now and nothing is cached: retry later."""


class TeacherError(PipelineError):
    """The teacher failed: unreachable, refused, or never produced a valid reply."""

    kind = "teacher"


class ValidationFailed(PipelineError):
    """The notebook was built but does not pass validation."""

    kind = "validation"


class RunCancelled(PipelineError):
    kind = "cancelled"
