"""Read the facts a manual needs from the Hub's model info and the card's front matter.

Field places follow the real responses (cards/HF_NOTES.md): no top-level licence (it is in
`cardData.license` or a `license:` tag), `language`/`base_model` may be a string or a list,
`pipeline_tag` may be absent, `gated` is `false`, `"auto"` or `"manual"`, parameters are in
`safetensors.total`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_BASE_MODEL_RELATIONS = ("finetune", "quantized", "adapter", "merge")


@dataclass
class ModelFacts:
    author: str = ""
    pipeline_tag: str = ""
    library_name: str = ""
    license: str = ""
    languages: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    base_models: list[str] = field(default_factory=list)
    parameters: int | None = None
    gated: bool = False
    last_modified: str = ""


def facts_from_info(info: dict[str, Any], repo_id: str) -> ModelFacts:
    """Facts from a `GET /api/models/{id}` response (its `cardData` included)."""
    card_data = info.get("cardData") if isinstance(info.get("cardData"), dict) else {}
    tags = _strings(info.get("tags")) or _strings(card_data.get("tags"))
    transformers_info = info.get("transformersInfo") if isinstance(info.get("transformersInfo"), dict) else {}
    safetensors = info.get("safetensors") if isinstance(info.get("safetensors"), dict) else {}
    total = safetensors.get("total")
    return ModelFacts(
        author=_string(info.get("author")) or (repo_id.split("/", 1)[0] if "/" in repo_id else ""),
        pipeline_tag=_string(info.get("pipeline_tag"))
        or _string(card_data.get("pipeline_tag"))
        or _string(transformers_info.get("pipeline_tag")),
        library_name=_string(info.get("library_name")) or _string(card_data.get("library_name")),
        license=license_of(card_data, tags),
        languages=_strings(card_data.get("language")),
        tags=tags,
        base_models=base_models_of(card_data, tags),
        parameters=total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None,
        gated=info.get("gated") in (True, "manual", "auto"),
        last_modified=_string(info.get("lastModified")) or _string(info.get("last_modified")),
    )


def facts_from_front_matter(front_matter: dict[str, Any]) -> ModelFacts:
    """Facts from a pasted or uploaded card's own front matter."""
    tags = _strings(front_matter.get("tags"))
    return ModelFacts(
        pipeline_tag=_string(front_matter.get("pipeline_tag")),
        library_name=_string(front_matter.get("library_name")),
        license=license_of(front_matter, tags),
        languages=_strings(front_matter.get("language")),
        tags=tags,
        base_models=base_models_of(front_matter, tags),
    )


def license_of(card_data: dict[str, Any], tags: list[str]) -> str:
    """`cardData.license` (the named licence when it is `other`), else the `license:` tag."""
    value = card_data.get("license")
    licence = _strings(value)[0] if _strings(value) else ""
    if licence == "other" and _string(card_data.get("license_name")):
        return _string(card_data.get("license_name"))
    if licence:
        return licence
    return next((tag.split(":", 1)[1] for tag in tags if tag.startswith("license:") and tag[8:]), "")


def base_models_of(card_data: dict[str, Any], tags: list[str]) -> list[str]:
    """Base models from `cardData.base_model` then `base_model:[relation:]id` tags, without repeats."""
    found = _strings(card_data.get("base_model"))
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        relation, _, target = rest.partition(":")
        found.append(target if relation in _BASE_MODEL_RELATIONS and target else rest)
    return list(dict.fromkeys(item for item in found if item))


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    """A string or a list of strings as a list of non-empty strings (other items ignored)."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]
