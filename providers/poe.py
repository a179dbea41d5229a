"""Poe's OpenAI-compatible API (https://api.poe.com/v1).

Poe's chat-completions endpoint takes no `response_format`, so the schema always travels in
the system message and the reply is validated by the caller.
"""

from __future__ import annotations

from typing import ClassVar

from providers.base import ModelInfo
from providers.openai_compatible import OpenAICompatibleTeacher


class PoeTeacher(OpenAICompatibleTeacher):
    key = "poe"
    label = "Poe"
    settings_prefix: ClassVar[str] = "POE"
    api_key_env: ClassVar[str] = "POE_API_KEY"
    default_base_url: ClassVar[str] = "https://api.poe.com/v1"
    default_model: ClassVar[str] = "Claude-Sonnet-4.5"
    structured_modes: ClassVar[tuple[str, ...]] = ("prompt_only",)
    # Poe names models like its bots.
    known_models: ClassVar[tuple[ModelInfo, ...]] = (
        ModelInfo(id="Claude-Sonnet-4.5", label="Claude Sonnet 4.5", context_tokens=200000),
        ModelInfo(id="GPT-5.2", label="GPT-5.2", context_tokens=128000),
    )
    gated_models: ClassVar[tuple[ModelInfo, ...]] = (
        ModelInfo(id="GPT-OSS-120B", label="GPT-OSS-120B", context_tokens=131072),
    )

    @classmethod
    def requires_api_key(cls, base_url: str) -> bool:
        # Poe always authenticates, even behind a local proxy.
        return True
