"""Stage 1, the Research Scout: a model reference or a card text -> a `ResearchSnapshot`.

    snapshot = research(HfSource("Qwen/Qwen3-0.6B"), mode="standard", config=config)
    snapshot = research(TextSource(text, name="card.md", kind="file"), mode="standard", config=config)

Modes: `standard` reads the model info and the card; `thorough` also reads config.json and
generation_config.json and collects the licence, base models, papers and code repositories as
references; `fallback` never touches the network (pasted text, or the cache for Hub models).
The snapshot holds only what is stable for (source, revision): rebuilding it gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from generation.pipeline.errors import SourceError
from generation.pipeline.research import references as links
from generation.pipeline.research.card import ParsedCard, card_from_card_data, card_title, parse_card, to_jsonable
from generation.pipeline.research.condense import condense_card
from generation.pipeline.research.config import DEFAULT_BUDGET_TOKENS, ResearchConfig, config_from_settings
from generation.pipeline.research.hub import EXTRA_FILES, HubData, fetch_model
from generation.pipeline.research.metadata import ModelFacts, facts_from_front_matter, facts_from_info
from generation.pipeline.research.quality import score_card
from generation.pipeline.research.refs import HfReference, parse_hf_reference
from generation.pipeline.research.snapshot import RESEARCH_MODES, Reference, ResearchSnapshot

HF_SITE = "https://huggingface.co"


@dataclass(frozen=True)
class HfSource:
    """A model on the Hugging Face Hub, as the user wrote it (id, URL, `id@revision`...)."""

    ref: str | HfReference


@dataclass(frozen=True)
class TextSource:
    """A model card pasted as text (`kind="text"`) or uploaded as a file (`kind="file"`)."""

    text: str
    name: str = ""
    kind: Literal["text", "file"] = "text"


Source = HfSource | TextSource


def research(
    source: Source, *, mode: str, config: ResearchConfig, budget_tokens: int = DEFAULT_BUDGET_TOKENS
) -> ResearchSnapshot:
    """Research one source; raises `SourceError` (stage "research") when the source is unusable."""
    _check_mode(mode)
    if isinstance(source, HfSource):
        return research_hf(source.ref, mode=mode, config=config, budget_tokens=budget_tokens)
    return research_text(source.text, mode=mode, name=source.name, budget_tokens=budget_tokens, kind=source.kind)


def research_for_run(
    *,
    source_kind: str,
    source_ref: str,
    source_text: str,
    mode: str,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    config: ResearchConfig | None = None,
) -> ResearchSnapshot:
    """The pipeline's entry point: a run's stored source fields, with the config from settings."""
    source: Source
    if source_kind == "hf":
        source = HfSource(source_ref)
    elif source_kind in ("text", "file"):
        source = TextSource(source_text, name=source_ref, kind=source_kind)  # type: ignore[arg-type]
    else:
        raise SourceError(
            f"Unknown source kind {source_kind!r}; use a model reference, a file or text.", stage="research"
        )
    return research(source, mode=mode, config=config or config_from_settings(), budget_tokens=budget_tokens)


def research_hf(
    ref: str | HfReference, *, mode: str, config: ResearchConfig, budget_tokens: int = DEFAULT_BUDGET_TOKENS
) -> ResearchSnapshot:
    """Research a Hub model: info and card pinned to one commit, from the Hub or the cache."""
    _check_mode(mode)
    parsed = ref if isinstance(ref, HfReference) else parse_hf_reference(ref, endpoint=config.endpoint or None)
    data = fetch_model(
        parsed,
        config=config,
        extra_files=EXTRA_FILES if mode == "thorough" else (),
        allow_network=mode != "fallback",
    )
    notes = list(data.notes)
    card = _card_of(data, notes)
    facts = facts_from_info(data.info, data.repo_id)
    site = config.hub_endpoint
    references: list[Reference | None] = [links.model_page(site, data.repo_id)]
    model_config: dict[str, Any] = {}
    generation_config: dict[str, Any] = {}
    if mode == "thorough":
        card_data = data.info.get("cardData") if isinstance(data.info.get("cardData"), dict) else {}
        files = {s.get("rfilename") for s in data.info.get("siblings") or [] if isinstance(s, dict)}
        link = card_data.get("license_link") if isinstance(card_data.get("license_link"), str) else ""
        references.append(
            links.license_reference(
                facts.license, link, site=site, repo_id=data.repo_id, revision=data.sha, files=files
            )
        )
        references += _thorough_references(facts, card.body, site)
        model_config = _json_file(data, "config.json", notes)
        generation_config = _json_file(data, "generation_config.json", notes, required=False)
    return _snapshot(
        source_kind="hf",
        mode=mode,
        card=card,
        facts=facts,
        subject=data.repo_id,
        budget_tokens=budget_tokens,
        references=references,
        notes=notes,
        repo_id=data.repo_id,
        requested_revision=parsed.revision,
        revision_sha=data.sha,
        config=model_config,
        generation_config=generation_config,
    )


def research_text(
    text: str,
    *,
    mode: str,
    name: str = "",
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    kind: Literal["text", "file"] = "text",
) -> ResearchSnapshot:
    """Research a pasted or uploaded card; never touches the network, whatever the mode."""
    _check_mode(mode)
    if not text or not text.strip():
        raise SourceError(
            "The model card text is empty; paste or upload a card with some text in it.", stage="research"
        )
    card = parse_card(text)
    notes = list(card.notes)
    facts = facts_from_front_matter(card.front_matter)
    model_name = card.front_matter.get("model_name")
    subject = (
        (model_name.strip() if isinstance(model_name, str) else "")
        or card_title(card.body)
        or name.strip()
        or "pasted text"
    )
    references: list[Reference | None] = []
    if mode == "thorough":
        link = card.front_matter.get("license_link")
        # A relative licence link has no repository to resolve against here, so only absolute ones count.
        references.append(links.license_reference(facts.license, link if isinstance(link, str) else "", site=HF_SITE))
        references += _thorough_references(facts, card.body, HF_SITE)
    return _snapshot(
        source_kind=kind,
        mode=mode,
        card=card,
        facts=facts,
        subject=subject[:200],
        budget_tokens=budget_tokens,
        references=references,
        notes=notes,
    )


def _card_of(data: HubData, notes: list[str]) -> ParsedCard:
    """The card to work from: the README, or one rebuilt from `cardData` when there is none."""
    if data.readme is not None:
        card = parse_card(data.readme)
        notes += card.notes
        return card
    card_data = data.info.get("cardData") if isinstance(data.info.get("cardData"), dict) else {}
    if data.readme_status == "gated":
        notes.append(
            f"The README of {data.repo_id} is gated on the Hugging Face Hub (access must be granted), so the card "
            "was rebuilt from the metadata the API returns (cardData); set HF_TOKEN to a token with access "
            "for the full card."
        )
    else:
        notes.append(f"{data.repo_id} has no README.md, so the card was rebuilt from the metadata the API returns.")
    try:
        front_matter = to_jsonable(card_data)
    except ValueError:
        front_matter = {}
    return ParsedCard(front_matter, card_from_card_data(data.repo_id, card_data), bool(card_data))


def _thorough_references(facts: ModelFacts, body: str, site: str) -> list[Reference]:
    return [
        *links.base_model_references(site, facts.base_models),
        *links.paper_references(facts.tags, body),
        *links.code_references(body),
    ]


def _json_file(data: HubData, name: str, notes: list[str], *, required: bool = True) -> dict[str, Any]:
    value = data.files.get(name)
    if isinstance(value, dict):
        try:
            return to_jsonable(value)
        except ValueError:
            notes.append(f"{name} of {data.repo_id} is too large to keep in the research notes.")
            return {}
    if required:
        notes.append(f"{name} is not available for {data.repo_id}, so architecture details come from the card only.")
    return {}


def _snapshot(
    *,
    source_kind: str,
    mode: str,
    card: ParsedCard,
    facts: ModelFacts,
    subject: str,
    budget_tokens: int,
    references: list[Reference | None],
    notes: list[str],
    **fields: Any,
) -> ResearchSnapshot:
    quality = score_card(card.body, card.front_matter, has_front_matter=card.has_front_matter)
    card_text, condensation = condense_card(card.body, budget_tokens)
    if quality.thin:
        notes.append(quality.flags[0])
    return ResearchSnapshot(
        source_kind=source_kind,  # type: ignore[arg-type]
        mode=mode,  # type: ignore[arg-type]
        subject=subject,
        author=facts.author,
        pipeline_tag=facts.pipeline_tag,
        library_name=facts.library_name,
        license=facts.license,
        languages=facts.languages,
        tags=facts.tags,
        base_models=facts.base_models,
        parameters=facts.parameters,
        gated=facts.gated,
        last_modified=facts.last_modified,
        front_matter=card.front_matter,
        card_text=card_text,
        condensation=condensation,
        references=links.finalize(references),
        quality=quality,
        notes=list(dict.fromkeys(notes)),
        **fields,
    )


def _check_mode(mode: str) -> None:
    if mode not in RESEARCH_MODES:
        raise ValueError(f"research mode must be one of {', '.join(RESEARCH_MODES)}, not {mode!r}")
