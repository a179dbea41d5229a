"""How difficulty and language shape the prompts."""

from __future__ import annotations

DIFFICULTY_GUIDANCE: dict[str, str] = {
    "beginner": (
        "The learner knows basic Python but has never called an LLM API: explain every term, keep each code "
        "block short, and show the expected output in words."
    ),
    "intermediate": (
        "The learner has called LLM APIs before: focus on this model's specifics, parameters, prompt format and "
        "measuring quality."
    ),
    "advanced": (
        "The learner builds production systems: cover batching, latency and token budgets, structured output, "
        "evaluation and failure handling."
    ),
}

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "ru": "Russian",
    "pl": "Polish",
    "tr": "Turkish",
    "ar": "Arabic",
    "hi": "Hindi",
}


def language_name(code: str) -> str:
    """English name of an ISO language code (the code itself when unknown)."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)
