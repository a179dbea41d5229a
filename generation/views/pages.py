"""The public home page: what ALAIN does and the state of its teachers."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from generation.models import STAGES
from providers.catalog import catalog_entries

logger = logging.getLogger(__name__)

STAGE_TITLES: dict[str, str] = {
    "research": "Research Scout",
    "outline": "Outline",
    "sections": "Sections",
    "assembly": "Assembly",
    "validation": "Static validation",
    "execution": "Execution validation",
    "autofix": "Auto-fix",
    "publish": "Publish",
}

STAGE_SENTENCES: dict[str, str] = {
    "research": "Reads the model card and the Hugging Face metadata (or your text) and scores how well "
    "the model is documented.",
    "outline": "The teacher plans the manual as strict JSON: title, objectives, audience and numbered steps.",
    "sections": "The teacher writes every step at once, in parallel, each checked against its schema.",
    "assembly": "The steps become a Jupyter notebook, built deterministically around a fixed frame.",
    "validation": "Checks the notebook's structure, quality, Colab compatibility and that it holds no secrets.",
    "execution": "Runs the notebook top to bottom in a sandboxed kernel, within time limits.",
    "autofix": "Applies deterministic fixes and has failing steps rewritten, then validates again.",
    "publish": "Stores the notebook, validation report, metrics and manifest, ready for review.",
}

# DESIGN.md, "The notebook contract".
NOTEBOOK_CONTRACT: tuple[str, ...] = (
    "Title, overview, audience and difficulty, reading time and learning objectives.",
    "Setup with pinned package installs and an environment check.",
    "Provider configuration from environment variables, never a literal secret.",
    "Deterministic seeds.",
    "Numbered “Step N” sections: explanation, runnable code, tips and warnings, prerequisites.",
    "Two or three exercises with their difficulty and estimated tokens.",
    "An assessment of at least four multiple-choice questions with explanations.",
    "Summary, next steps, references and troubleshooting.",
    "A metadata cell: tutorial id, source, teacher, prompt versions and the validator summary.",
)

PROVIDER_ENV_HINTS: tuple[tuple[str, str], ...] = (
    ("OPENAI_API_KEY", "an OpenAI key (with OPENAI_BASE_URL for any other OpenAI-compatible server)"),
    ("POE_API_KEY", "a Poe key"),
    ("LOCAL_BASE_URL", "a local vLLM, Ollama or llama.cpp server, with ALAIN_PROVIDER=local"),
)


def stage_rows() -> list[dict[str, str]]:
    return [{"key": key, "title": STAGE_TITLES[key], "sentence": STAGE_SENTENCES[key]} for key in STAGES]


def load_catalog() -> tuple[list[dict[str, Any]], str]:
    """The provider catalog, or an empty list and a sentence saying it could not be loaded."""
    try:
        return catalog_entries(), ""
    except Exception:  # a broken setting must not take the portal down with it
        logger.exception("the provider catalog could not be loaded")
        return [], "The teacher catalog could not be loaded; check the provider settings in the server's log."


def demo_in_use(catalog: list[dict[str, Any]]) -> bool:
    """True when the default teacher is the offline demo (no real provider configured)."""
    default = next((entry for entry in catalog if entry.get("default")), None)
    return default is None or bool(default.get("demo"))


def home(request: HttpRequest) -> HttpResponse:
    catalog, catalog_error = load_catalog()
    return render(
        request,
        "portal/home.html",
        {
            "stages": stage_rows(),
            "contract": NOTEBOOK_CONTRACT,
            "providers": catalog,
            "catalog_error": catalog_error,
            "demo_in_use": not catalog_error and demo_in_use(catalog),
            "env_hints": PROVIDER_ENV_HINTS,
        },
    )
