from __future__ import annotations

import codecs

import pytest

from generation.pipeline.errors import SourceError
from generation.pipeline.research.uploads import read_source_bytes

CARD = "---\nlicense: mit\n---\n# My model\n\nIt translates — très bien.\n"


@pytest.mark.parametrize("filename", ["card.md", "CARD.MD", "notes.markdown", "notes.txt", "README", "dir/x.md"])
def test_it_accepts_markdown_and_text_files(filename: str) -> None:
    assert read_source_bytes(CARD.encode(), filename, max_bytes=1024) == CARD


def test_it_accepts_a_utf8_bom_and_drops_it() -> None:
    assert read_source_bytes(codecs.BOM_UTF8 + CARD.encode(), "card.md") == CARD


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_it_accepts_utf16_with_a_bom(encoding: str) -> None:
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    assert read_source_bytes(bom + CARD.encode(encoding), "card.md") == CARD


def test_it_normalizes_windows_line_endings() -> None:
    assert read_source_bytes(b"# Title\r\n\r\nText\r\n", "card.md") == "# Title\n\nText\n"


@pytest.mark.parametrize("filename", ["paper.pdf", "logo.png", "demo.ipynb", "model.safetensors", "card.html"])
def test_it_rejects_other_extensions(filename: str) -> None:
    with pytest.raises(SourceError, match=r"not a Markdown or text file; upload a \.md"):
        read_source_bytes(b"# fine text", filename)


def test_it_rejects_binary_content_even_with_a_text_extension() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    with pytest.raises(SourceError, match="binary data"):
        read_source_bytes(png, "image.md")


def test_it_rejects_control_bytes() -> None:
    with pytest.raises(SourceError, match="binary data"):
        read_source_bytes(b"# Title\x1b[31m red\x07", "card.md")


def test_it_rejects_text_that_is_not_utf8() -> None:
    with pytest.raises(SourceError, match="not UTF-8 text") as caught:
        read_source_bytes("# Modèle\n".encode("latin-1"), "card.md")
    assert "save it as UTF-8" in caught.value.message


def test_it_rejects_files_over_the_limit() -> None:
    with pytest.raises(SourceError, match="over the 1,024-byte limit"):
        read_source_bytes(b"a" * 1025, "card.md", max_bytes=1024)


def test_the_limit_itself_is_allowed() -> None:
    assert read_source_bytes(b"a" * 1024, "card.md", max_bytes=1024) == "a" * 1024


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8])
def test_it_rejects_empty_or_whitespace_only_files(data: bytes) -> None:
    with pytest.raises(SourceError, match="empty or only whitespace"):
        read_source_bytes(data, "card.md")


def test_errors_name_the_file_and_the_research_stage() -> None:
    with pytest.raises(SourceError) as caught:
        read_source_bytes(b"", "/home/me/secret/path/card.md")
    assert caught.value.stage == "research"
    assert "'card.md'" in caught.value.message
    assert "/home/me" not in caught.value.message
