"""The Research Scout against a fake Hub that serves the real captured cards (no network)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from generation.pipeline.errors import SourceError
from generation.pipeline.research.config import ResearchConfig
from generation.pipeline.research.scout import HfSource, research
from tests.fakes.hub_server import CARDS_DIR, FakeHubServer, FakeRepo

from .conftest import FakeClock

# repo id -> (license, pipeline_tag, library, parameters, gated, languages[:1], base models)
EXPECTED = {
    "facebook/opt-125m": ("other", "text-generation", "transformers", None, False, ["en"], []),
    "google/gemma-3-270m-it": ("gemma", "text-generation", "transformers", 268098176, True, [], ["google/gemma-3-270m"]),
    "Helsinki-NLP/opus-mt-en-fr": ("apache-2.0", "translation", "transformers", None, False, [], []),
    "mistralai/Magistral-Small-2509": (
        "apache-2.0", "", "vllm", 24011361280, False, ["en"], ["mistralai/Mistral-Small-3.2-24B-Instruct-2506"],
    ),
    "openai/gpt-oss-120b": ("apache-2.0", "text-generation", "transformers", 120412337472, False, [], []),
    "Qwen/Qwen3-0.6B": ("apache-2.0", "text-generation", "transformers", 751632384, False, [], ["Qwen/Qwen3-0.6B-Base"]),
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": ("apache-2.0", "text-generation", "transformers", 1100048384, False, ["en"], []),
}  # fmt: skip
QWEN = "Qwen/Qwen3-0.6B"
QWEN_SHA = "c1899de289a04d12100db370d81485cdf75e47ca"


def test_every_captured_card_is_served() -> None:
    folders = {json.loads(p.read_text())["id"] for p in CARDS_DIR.glob("*/model.json")}
    assert folders == set(EXPECTED)


@pytest.mark.parametrize("repo_id", sorted(EXPECTED))
def test_it_researches_every_real_card_in_standard_mode(repo_id: str, hub: FakeHubServer, config) -> None:
    licence, task, library, params, gated, languages, bases = EXPECTED[repo_id]
    snapshot = research(HfSource(f"https://huggingface.co/{repo_id}"), mode="standard", config=config)
    info = json.loads(
        next(p for p in CARDS_DIR.glob("*/model.json") if json.loads(p.read_text())["id"] == repo_id).read_text()
    )
    assert snapshot.source_kind == "hf"
    assert (snapshot.repo_id, snapshot.subject, snapshot.requested_revision) == (repo_id, repo_id, "main")
    assert snapshot.revision_sha == info["sha"]
    assert (snapshot.license, snapshot.pipeline_tag, snapshot.library_name) == (licence, task, library)
    assert (snapshot.parameters, snapshot.gated) == (params, gated)
    assert snapshot.languages[:1] == languages
    assert snapshot.base_models == bases
    assert snapshot.last_modified == info["lastModified"]
    assert snapshot.tags == info["tags"]
    assert snapshot.author == repo_id.split("/")[0]
    assert snapshot.card_text.strip()
    assert snapshot.condensation.kept_tokens <= 1400
    assert snapshot.front_matter.get("license") == info["cardData"]["license"]
    # Standard mode: the model page is the one reference, and no config files are read.
    assert [(r.kind, r.url) for r in snapshot.references] == [("model", f"{hub.url}/{repo_id}")]
    assert snapshot.config == {} and snapshot.generation_config == {}
    assert hub.count("/api/models/") == 1
    assert not any("config.json" in path for path in hub.paths())


@pytest.mark.parametrize("repo_id", sorted(EXPECTED))
def test_it_researches_every_real_card_in_thorough_mode(repo_id: str, hub: FakeHubServer, config) -> None:
    snapshot = research(HfSource(repo_id), mode="thorough", config=config)
    folder = next(p.parent for p in CARDS_DIR.glob("*/model.json") if json.loads(p.read_text())["id"] == repo_id)
    if (folder / "config.json").is_file():
        assert snapshot.config == json.loads((folder / "config.json").read_text())
    else:
        assert snapshot.config == {}
        assert any("config.json is not available" in note for note in snapshot.notes)
    if (folder / "generation_config.json").is_file():
        assert snapshot.generation_config == json.loads((folder / "generation_config.json").read_text())
    urls = [r.url for r in snapshot.references]
    assert urls[0] == f"{hub.url}/{repo_id}"
    assert len(urls) == len(set(urls))
    assert all(url.startswith(("http://", "https://")) for url in urls)
    for base in snapshot.base_models:
        assert f"{hub.url}/{base}" in urls
    for tag in snapshot.tags:
        if tag.startswith("arxiv:"):
            assert f"https://arxiv.org/abs/{tag[6:]}" in urls


def test_thorough_references_are_sorted_by_kind_and_deduplicated(hub: FakeHubServer, config) -> None:
    snapshot = research(HfSource(QWEN), mode="thorough", config=config)
    assert [(r.kind, r.url) for r in snapshot.references] == [
        ("model", f"{hub.url}/{QWEN}"),
        ("license", "https://huggingface.co/Qwen/Qwen3-0.6B/blob/main/LICENSE"),
        ("base_model", f"{hub.url}/Qwen/Qwen3-0.6B-Base"),
        ("paper", "https://arxiv.org/abs/2505.09388"),
        ("code", "https://github.com/QwenLM/Qwen-Agent"),
        ("code", "https://github.com/QwenLM/Qwen3"),
    ]


def test_the_opus_mt_card_links_its_training_repo_and_a_licence_page(hub: FakeHubServer, config) -> None:
    snapshot = research(HfSource("Helsinki-NLP/opus-mt-en-fr"), mode="thorough", config=config)
    urls = {r.kind: r.url for r in snapshot.references}
    assert urls["code"] == "https://github.com/Helsinki-NLP/OPUS-MT-train"
    assert urls["license"] == "https://www.apache.org/licenses/LICENSE-2.0"


def test_the_thin_opus_mt_card_is_flagged_in_the_notes(hub: FakeHubServer, config) -> None:
    snapshot = research(HfSource("Helsinki-NLP/opus-mt-en-fr"), mode="standard", config=config)
    assert snapshot.quality.thin
    assert any(note.startswith("Thin card:") for note in snapshot.notes)
    assert "Benchmarks" in snapshot.card_text  # flagged, not hidden


@pytest.mark.parametrize("repo_id", ["openai/gpt-oss-120b", QWEN])
def test_well_documented_cards_are_not_thin(repo_id: str, hub: FakeHubServer, config) -> None:
    assert not research(HfSource(repo_id), mode="standard", config=config).quality.thin


def test_long_cards_are_condensed_to_the_callers_budget(hub: FakeHubServer, config) -> None:
    snapshot = research(HfSource("mistralai/Magistral-Small-2509"), mode="standard", config=config, budget_tokens=500)
    assert snapshot.condensation.method == "sections-ranked"
    assert snapshot.condensation.kept_tokens <= 500
    assert snapshot.condensation.dropped_sections


# -- pinning and canonical ids -----------------------------------------------------------------


def test_the_readme_is_fetched_at_the_sha_the_api_returned(hub: FakeHubServer, config) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    readme_requests = [p for p in hub.paths() if p.endswith("/README.md")]
    assert readme_requests
    assert all(f"/resolve/{QWEN_SHA}/README.md" in p for p in readme_requests)


def test_a_branch_revision_is_resolved_and_pinned(hub: FakeHubServer, config) -> None:
    hub.repos[QWEN].revisions["refs/pr/3"] = "a" * 40
    snapshot = research(HfSource(f"https://huggingface.co/{QWEN}/tree/refs%2Fpr%2F3"), mode="standard", config=config)
    assert (snapshot.requested_revision, snapshot.revision_sha) == ("refs/pr/3", "a" * 40)
    paths = hub.paths()
    assert f"GET /api/models/{QWEN}/revision/refs%2Fpr%2F3" in paths
    assert any(f"/resolve/{'a' * 40}/README.md" in p for p in paths)


def test_the_canonical_id_replaces_a_legacy_one(hub: FakeHubServer, config) -> None:
    hub.aliases["opt-125m"] = "facebook/opt-125m"
    snapshot = research(HfSource("opt-125m"), mode="standard", config=config)
    assert snapshot.repo_id == snapshot.subject == "facebook/opt-125m"
    assert snapshot.references[0].url == f"{hub.url}/facebook/opt-125m"
    assert any(p.startswith("GET /facebook/opt-125m/resolve/") for p in hub.paths())


def test_an_info_with_only_model_id_is_accepted(hub: FakeHubServer, config) -> None:
    source = hub.repos["Helsinki-NLP/opus-mt-en-fr"]
    legacy = {k: v for k, v in source.info.items() if k not in ("id", "author")} | {"modelId": "old/model"}
    hub.repos["old/model"] = FakeRepo(legacy, source.files)
    snapshot = research(HfSource("old/model"), mode="standard", config=config)
    assert (snapshot.repo_id, snapshot.author) == ("old/model", "old")


def test_rebuilds_are_byte_identical(hub: FakeHubServer, config, tmp_path) -> None:
    first = research(HfSource(QWEN), mode="thorough", config=config)
    other = replace(config, cache_dir=tmp_path / "second-cache")
    second = research(HfSource(f"hf.co/{QWEN}/"), mode="thorough", config=other)
    assert first.model_dump_json() == second.model_dump_json()


# -- the cache ----------------------------------------------------------------------------------


def test_a_second_call_is_served_from_the_cache(hub: FakeHubServer, config) -> None:
    first = research(HfSource(QWEN), mode="standard", config=config)
    hub.reset_log()
    second = research(HfSource(QWEN), mode="standard", config=config)
    assert hub.paths() == []
    assert second == first
    assert second.notes == []


def test_an_expired_entry_is_fetched_again(hub: FakeHubServer, config, clock: FakeClock) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    clock.advance(config.ttl_seconds + 1)
    hub.reset_log()
    research(HfSource(QWEN), mode="standard", config=config)
    assert hub.count("/api/models/") == 1


def test_thorough_after_standard_fetches_only_the_missing_files(hub: FakeHubServer, config) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    hub.reset_log()
    snapshot = research(HfSource(QWEN), mode="thorough", config=config)
    assert hub.count("/api/models/") == 0
    assert any(p.endswith("/config.json") for p in hub.paths())
    assert snapshot.config["model_type"] == "qwen3"


def test_cache_files_are_written_atomically_as_json(hub: FakeHubServer, config) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    files = sorted((config.cache_dir / "research").rglob("*"))
    entries = [p for p in files if p.is_file()]
    assert {p.parent.name for p in entries} == {"revisions", "payloads"}
    assert not [p for p in entries if p.name.startswith(".tmp-")]
    for path in entries:
        assert json.loads(path.read_text())["format"] == 1


def test_a_corrupt_cache_file_counts_as_a_miss(hub: FakeHubServer, config) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    for path in (config.cache_dir / "research").rglob("*.json"):
        path.write_text("{not json")
    hub.reset_log()
    assert research(HfSource(QWEN), mode="standard", config=config).revision_sha == QWEN_SHA
    assert hub.count("/api/models/") == 1


def test_when_the_hub_is_down_an_expired_cache_is_used_with_a_note(hub: FakeHubServer, config, clock) -> None:
    fresh = research(HfSource(QWEN), mode="standard", config=config)
    clock.advance(10 * config.ttl_seconds)
    hub.stop()
    stale = research(HfSource(QWEN), mode="standard", config=config)
    assert stale.revision_sha == fresh.revision_sha
    assert stale.card_text == fresh.card_text
    assert any("could not be reached" in note and "may be out of date" in note for note in stale.notes)


def test_when_the_hub_is_down_and_nothing_is_cached_it_says_so(hub: FakeHubServer, config) -> None:
    hub.stop()
    with pytest.raises(SourceError) as caught:
        research(HfSource(QWEN), mode="standard", config=config)
    assert "cannot be reached" in caught.value.message
    assert "nothing is cached" in caught.value.message


def test_fallback_mode_never_contacts_the_hub(hub: FakeHubServer, config, clock) -> None:
    research(HfSource(QWEN), mode="thorough", config=config)
    clock.advance(10 * config.ttl_seconds)
    hub.reset_log()
    snapshot = research(HfSource(QWEN), mode="fallback", config=config)
    assert hub.paths() == []
    assert snapshot.mode == "fallback"
    assert snapshot.revision_sha == QWEN_SHA
    assert any("cache" in note for note in snapshot.notes)


def test_fallback_mode_without_a_cache_fails_without_contacting_the_hub(hub: FakeHubServer, config) -> None:
    with pytest.raises(SourceError, match=r"Nothing is cached for Qwen/Qwen3-0\.6B"):
        research(HfSource(QWEN), mode="fallback", config=config)
    assert hub.paths() == []


def test_hf_offline_uses_the_cache_and_says_so(hub: FakeHubServer, config: ResearchConfig) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    hub.reset_log()
    snapshot = research(HfSource(QWEN), mode="standard", config=replace(config, offline=True))
    assert hub.paths() == []
    assert any("HF_HUB_OFFLINE" in note for note in snapshot.notes)


def test_hf_offline_without_a_cache_fails_clearly(hub: FakeHubServer, config: ResearchConfig) -> None:
    with pytest.raises(SourceError, match="offline mode"):
        research(HfSource(QWEN), mode="standard", config=replace(config, offline=True))
    assert hub.paths() == []


# -- Hub errors ---------------------------------------------------------------------------------


def test_a_gated_readme_falls_back_to_card_data_with_a_note(hub: FakeHubServer, config) -> None:
    hub.gated_readme.add("google/gemma-3-270m-it")
    snapshot = research(HfSource("google/gemma-3-270m-it"), mode="standard", config=config)
    assert snapshot.gated
    assert any("gated" in note and "cardData" in note for note in snapshot.notes)
    assert "License: gemma" in snapshot.card_text
    assert "Access Gemma on Hugging Face" in snapshot.card_text
    assert snapshot.front_matter["license"] == "gemma"
    assert snapshot.license == "gemma"
    assert snapshot.quality.thin  # a rebuilt card is thin, and the manual says so


def test_a_missing_repo_is_named_in_the_error(hub: FakeHubServer, config) -> None:
    hub.not_found.add(QWEN)
    with pytest.raises(SourceError) as caught:
        research(HfSource(QWEN), mode="standard", config=config)
    assert caught.value.message.startswith("The model 'Qwen/Qwen3-0.6B' was not found")
    assert "HF_TOKEN" in caught.value.message


def test_an_unknown_repo_is_not_found_even_with_a_stale_cache(hub: FakeHubServer, config, clock) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    clock.advance(10 * config.ttl_seconds)
    hub.not_found.add(QWEN)
    with pytest.raises(SourceError, match="was not found"):
        research(HfSource(QWEN), mode="standard", config=config)


def test_a_missing_revision_is_named_in_the_error(hub: FakeHubServer, config) -> None:
    with pytest.raises(SourceError) as caught:
        research(HfSource(f"{QWEN}@v9.9"), mode="standard", config=config)
    assert "The revision 'v9.9' does not exist in Qwen/Qwen3-0.6B" in caught.value.message


def test_a_rate_limit_says_when_to_retry(hub: FakeHubServer, config) -> None:
    hub.rate_limit_after = 0
    hub.retry_after = "42"
    with pytest.raises(SourceError) as caught:
        research(HfSource(QWEN), mode="standard", config=config)
    assert "rate-limiting" in caught.value.message
    assert "retry in 42 seconds" in caught.value.message


def test_a_rate_limit_with_a_stale_cache_uses_the_cache(hub: FakeHubServer, config, clock) -> None:
    research(HfSource(QWEN), mode="standard", config=config)
    clock.advance(10 * config.ttl_seconds)
    hub.rate_limit_after = 0
    snapshot = research(HfSource(QWEN), mode="standard", config=config)
    assert any("rate limited" in note for note in snapshot.notes)


def test_an_invalid_token_is_reported_as_such(hub: FakeHubServer, config: ResearchConfig) -> None:
    hub.bad_token = "hf_bad"
    with pytest.raises(SourceError, match="rejected the token"):
        research(HfSource(QWEN), mode="standard", config=replace(config, token="hf_bad"))


def test_the_configured_token_is_sent_and_no_other(hub: FakeHubServer, config: ResearchConfig) -> None:
    research(HfSource(QWEN), mode="standard", config=replace(config, token="hf_good"))
    assert {r.headers.get("authorization") for r in hub.requests} == {"Bearer hf_good"}
    hub.reset_log()
    research(HfSource("openai/gpt-oss-120b"), mode="standard", config=config)
    assert {r.headers.get("authorization") for r in hub.requests} == {None}


def test_a_bad_reference_fails_before_any_request(hub: FakeHubServer, config) -> None:
    with pytest.raises(SourceError, match="dataset"):
        research(HfSource("https://huggingface.co/datasets/org/name"), mode="standard", config=config)
    assert hub.paths() == []


def test_a_repo_without_a_readme_gets_a_card_from_its_metadata(hub: FakeHubServer, config) -> None:
    del hub.repos[QWEN].files["README.md"]
    snapshot = research(HfSource(QWEN), mode="standard", config=config)
    assert any("has no README.md" in note for note in snapshot.notes)
    assert snapshot.card_text.startswith("# Qwen/Qwen3-0.6B")
    assert "License: apache-2.0" in snapshot.card_text
