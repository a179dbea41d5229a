"""Small builders for provider tests: requests, settings, clients."""

from __future__ import annotations

import random
from typing import Any

from providers.base import CompletionRequest
from providers.http import HttpClient, RetryPolicy

# Looks like a real OpenAI key so redaction patterns and plain replacement are both exercised.
SECRET_KEY = "sk-test-0123456789abcdefSECRET"

OUTLINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "steps": {"type": "array", "items": {"type": "string"}}},
    "required": ["title", "steps"],
    "additionalProperties": False,
}


def make_request(**overrides: Any) -> CompletionRequest:
    fields: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": "You write tutorials as JSON."},
            {"role": "user", "content": "Outline a tutorial about tokenizers."},
        ],
        "model": "teacher-model",
        "max_tokens": 200,
        "schema": None,
    }
    fields.update(overrides)
    return CompletionRequest(**fields)


def make_structured_request(**overrides: Any) -> CompletionRequest:
    return make_request(**{"schema": OUTLINE_SCHEMA, "schema_name": "outline", **overrides})


def make_client(*, sleeps: list[float] | None = None, **policy: Any) -> HttpClient:
    """A client that records its waits instead of sleeping, with short timeouts."""
    recorded = sleeps if sleeps is not None else []
    settings = {"max_attempts": 3, "connect_timeout": 2.0, "read_timeout": 5.0, **policy}
    return HttpClient(policy=RetryPolicy(**settings), sleep=recorded.append, rng=random.Random(7))


def alain_config(**overrides: Any) -> dict[str, Any]:
    """The ALAIN settings with nothing configured (no keys), plus overrides."""
    config: dict[str, Any] = {
        "DEFAULT_PROVIDER": "",
        "DEFAULT_TEACHER_MODEL": "",
        "OPENAI_BASE_URL": "https://api.openai.com/v1",
        "OPENAI_API_KEY": "",
        "OPENAI_MODEL": "gpt-4o-mini",
        "POE_BASE_URL": "https://api.poe.com/v1",
        "POE_API_KEY": "",
        "POE_MODEL": "Claude-Sonnet-4.5",
        "LOCAL_BASE_URL": "http://127.0.0.1:8000/v1",
        "LOCAL_API_KEY": "",
        "LOCAL_MODEL": "teacher",
        "ENABLE_GPT_OSS": False,
        "TEACHER_CONTEXT_TOKENS": 4096,
        "HTTP_TIMEOUT_SECONDS": 30.0,
        "HTTP_MAX_ATTEMPTS": 4,
        "HTTP_BACKOFF_BASE_SECONDS": 1.0,
        "HTTP_BACKOFF_MAX_SECONDS": 30.0,
    }
    config.update(overrides)
    return config
