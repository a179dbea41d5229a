"""Check an uploaded file or pasted text and decode it: Markdown or plain text only, up to a limit.

Every refusal says what was wrong and what to do, because the user sees the message as is.
"""

from __future__ import annotations

import codecs
from pathlib import PurePosixPath

from generation.pipeline.errors import SourceError

TEXT_EXTENSIONS = (".md", ".markdown", ".txt")
DEFAULT_MAX_SOURCE_BYTES = 1024 * 1024
# Control characters other than tab/newline/carriage return/form feed mean the bytes are not text.
_CONTROL = {chr(c) for c in range(32) if c not in (9, 10, 12, 13)} | {"\x7f"}


def read_source_bytes(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_SOURCE_BYTES) -> str:
    """Decode an uploaded Markdown/text source to `str` with `\\n` line ends, or raise `SourceError`."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name or "the file"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix and suffix not in TEXT_EXTENSIONS:
        raise _error(
            f"'{name}' is not a Markdown or text file; upload a .md, .markdown or .txt file "
            "(for a PDF or notebook, paste its text instead)."
        )
    if len(data) > max_bytes:
        raise _error(
            f"'{name}' is {len(data):,} bytes, over the {max_bytes:,}-byte limit; "
            "upload only the model card or shorten the text."
        )
    text = _decode(data, name)
    if any(ch in _CONTROL for ch in text):
        raise _error(
            f"'{name}' contains binary data (NUL or control bytes), so it is not text; upload a Markdown file."
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _error(f"'{name}' is empty or only whitespace; upload a model card with some text in it.")
    return text


def _decode(data: bytes, name: str) -> str:
    # A UTF-16 file is full of NUL bytes, so its BOM must be recognised before the binary check.
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom) and not data.startswith(codecs.BOM_UTF32_LE):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise _error(f"'{name}' starts like UTF-16 text but does not decode; save it as UTF-8.") from None
    if b"\x00" in data:
        raise _error(f"'{name}' contains binary data (NUL bytes), so it is not text; upload a Markdown file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(
            f"'{name}' is not UTF-8 text (undecodable byte at position {exc.start}); save it as UTF-8 and upload again."
        ) from None


def _error(message: str) -> SourceError:
    return SourceError(message, stage="research")
