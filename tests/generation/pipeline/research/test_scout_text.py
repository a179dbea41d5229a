"""The Research Scout on pasted text and uploaded files, and its Django-facing entry points."""

from __future__ import annotations

from pathlib import Path

import pytest

from generation.pipeline.errors import SourceError
from generation.pipeline.research.config import ResearchConfig, config_from_settings
from generation.pipeline.research.scout import TextSource, research, research_for_run, research_text
from tests.fakes.hub_server import CARDS_DIR, FakeHubServer

CARD = """---
model_name: Tiny Translator
license: mit
language: [en, fr]
base_model: Helsinki-NLP/opus-mt-en-fr
pipeline_tag: translation
---
# Tiny translator card

Paper: [the paper](https://arxiv.org/abs/2401.01234v2), code at https://github.com/acme/tiny-translator.git and
[a bad link](javascript:alert(1)).

## How to use

```python
print("hi")
```
"""


def test_pasted_text_becomes_a_snapshot_with_its_front_matter() -> None:
    snapshot = research_text(CARD, mode="standard", name="pasted text")
    assert snapshot.source_kind == "text"
    assert snapshot.subject == "Tiny Translator"
    assert (snapshot.license, snapshot.pipeline_tag) == ("mit", "translation")
    assert snapshot.languages == ["en", "fr"]
    assert snapshot.base_models == ["Helsinki-NLP/opus-mt-en-fr"]
    assert snapshot.front_matter["model_name"] == "Tiny Translator"
    assert snapshot.card_text.startswith("# Tiny translator card")
    assert (snapshot.repo_id, snapshot.revision_sha) == ("", "")
    assert snapshot.references == []


def test_windows_line_endings_in_pasted_text_are_handled() -> None:
    snapshot = research_text(CARD.replace("\n", "\r\n"), mode="standard")
    assert snapshot.subject == "Tiny Translator"
    assert "\r" not in snapshot.card_text


@pytest.mark.parametrize(
    ("text", "name", "subject"),
    [
        ("# Heading Title\n\nBody text.", "notes.md", "Heading Title"),
        ("No heading here.", "notes.md", "notes.md"),
        ("No heading here.", "", "pasted text"),
    ],
)
def test_the_subject_comes_from_model_name_then_heading_then_name(text: str, name: str, subject: str) -> None:
    assert research_text(text, mode="standard", name=name).subject == subject


def test_thorough_text_research_keeps_safe_links_only() -> None:
    snapshot = research_text(CARD, mode="thorough")
    assert [(r.kind, r.url) for r in snapshot.references] == [
        ("license", "https://opensource.org/license/mit"),
        ("base_model", "https://huggingface.co/Helsinki-NLP/opus-mt-en-fr"),
        ("paper", "https://arxiv.org/abs/2401.01234"),
        ("code", "https://github.com/acme/tiny-translator"),
    ]
    assert not any("javascript" in r.url for r in snapshot.references)


def test_an_uploaded_file_is_recorded_as_a_file_source() -> None:
    source = TextSource(CARD, name="card.md", kind="file")
    snapshot = research(source, mode="standard", config=ResearchConfig(cache_dir=Path("/nonexistent")))
    assert snapshot.source_kind == "file"


@pytest.mark.parametrize("mode", ["standard", "thorough", "fallback"])
def test_text_research_never_contacts_the_hub(mode: str, hub: FakeHubServer, tmp_path: Path) -> None:
    config = ResearchConfig(cache_dir=tmp_path, endpoint=hub.url)
    research(TextSource(CARD), mode=mode, config=config)
    assert hub.paths() == []


def test_text_research_is_deterministic() -> None:
    text = (CARDS_DIR / "mistralai-magistral-small-2509" / "README.md").read_text(encoding="utf-8")
    first = research_text(text, mode="thorough", budget_tokens=700)
    second = research_text(text, mode="thorough", budget_tokens=700)
    assert first.model_dump_json() == second.model_dump_json()
    assert first.condensation.kept_tokens <= 700


def test_empty_text_is_refused() -> None:
    with pytest.raises(SourceError, match="empty"):
        research_text("  \n ", mode="standard")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="research mode must be one of standard, thorough, fallback"):
        research_text(CARD, mode="deep")


# -- Django-facing entry points ----------------------------------------------------------------


def test_the_config_is_built_from_django_settings(settings, tmp_path: Path) -> None:
    settings.ALAIN = {
        **settings.ALAIN,
        "HF_CACHE_DIR": str(tmp_path / "c"),
        "HF_CACHE_TTL_SECONDS": 60,
        "HF_TOKEN": "hf_x",
        "HF_ENDPOINT": "http://127.0.0.1:1",
        "HF_OFFLINE": True,
        "MAX_SOURCE_BYTES": 2048,
    }
    config = config_from_settings()
    assert config == ResearchConfig(
        cache_dir=tmp_path / "c",
        ttl_seconds=60,
        token="hf_x",
        endpoint="http://127.0.0.1:1",
        offline=True,
        max_source_bytes=2048,
    )
    assert config.hub_endpoint == "http://127.0.0.1:1"
    assert ResearchConfig(cache_dir=tmp_path).hub_endpoint == "https://huggingface.co"


def test_a_run_with_a_model_reference_researches_the_hub(settings, hub: FakeHubServer) -> None:
    settings.ALAIN = {**settings.ALAIN, "HF_ENDPOINT": hub.url, "HF_OFFLINE": False}
    snapshot = research_for_run(
        source_kind="hf", source_ref="Qwen/Qwen3-0.6B", source_text="", mode="standard", budget_tokens=900
    )
    assert snapshot.repo_id == "Qwen/Qwen3-0.6B"
    assert snapshot.condensation.kept_tokens <= 900
    assert hub.count("/api/models/") == 1


def test_a_run_with_pasted_text_researches_the_text(settings) -> None:
    snapshot = research_for_run(source_kind="text", source_ref="pasted text", source_text=CARD, mode="standard")
    assert (snapshot.source_kind, snapshot.subject) == ("text", "Tiny Translator")


def test_a_run_with_an_unknown_source_kind_is_refused(settings) -> None:
    with pytest.raises(SourceError, match="Unknown source kind"):
        research_for_run(source_kind="pdf", source_ref="x", source_text="", mode="standard")
