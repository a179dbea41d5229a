"""Turn what a user gives (model reference, file, text) into a checked `RunSource`.

Checks happen before anything is stored, so a bad input leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from generation.pipeline.errors import SourceError
from generation.pipeline.research import refs, uploads
from generation.services import RunSource


def source_from_model_ref(ref: str) -> tuple[RunSource, str]:
    """A Hugging Face reference, parsed (raises SourceError); returns the source and its repo id."""
    parsed = refs.parse_hf_reference(ref, endpoint=settings.ALAIN.get("HF_ENDPOINT") or None)
    canonical = parsed.repo_id + (f"@{parsed.revision}" if parsed.revision and parsed.revision != "main" else "")
    return RunSource(kind="hf", ref=canonical), parsed.repo_id


def source_from_file(path: Path) -> tuple[RunSource, str]:
    if not path.is_file():
        raise SourceError(f"The source file {path} does not exist or is not a file.", stage="research")
    max_bytes = settings.ALAIN["MAX_SOURCE_BYTES"]
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(f"The source file is {size} bytes; the limit is {max_bytes} bytes (1 MB).", stage="research")
    text = uploads.read_source_bytes(path.read_bytes(), path.name, max_bytes=max_bytes)
    return RunSource(kind="file", ref=path.name, text=text), path.stem


def source_from_text(text: str, *, name: str = "pasted text") -> tuple[RunSource, str]:
    max_bytes = settings.ALAIN["MAX_SOURCE_BYTES"]
    if not text.strip():
        # Said for pasted text, not in the words meant for an uploaded file.
        raise SourceError("The pasted text is empty: paste the model card's text.", stage="research")
    text = uploads.read_source_bytes(text.encode("utf-8"), "pasted.md", max_bytes=max_bytes)
    return RunSource(kind="text", ref=name, text=text), name
