"""A teacher on the user's own machine or network: vLLM, Ollama (/v1), llama.cpp, llama-cpp-python.

No key is needed for local hosts. The best structured-output form is tried first; servers that
reject it (llama-cpp-python answers HTTP 500 to `json_schema`) are asked with the next form.
"""

from __future__ import annotations

from typing import ClassVar

from providers.base import STRUCTURED_MODES, ModelInfo
from providers.openai_compatible import OpenAICompatibleTeacher


class LocalTeacher(OpenAICompatibleTeacher):
    key = "local"
    label = "Local server (vLLM, Ollama, llama.cpp)"
    settings_prefix: ClassVar[str] = "LOCAL"
    api_key_env: ClassVar[str] = "LOCAL_API_KEY"
    default_base_url: ClassVar[str] = "http://127.0.0.1:8000/v1"
    default_model: ClassVar[str] = "teacher"
    structured_modes: ClassVar[tuple[str, ...]] = STRUCTURED_MODES
    # llama.cpp and llama-cpp-python serve one request at a time by default; vLLM and Ollama
    # users raise LOCAL_CONCURRENCY.
    default_concurrency: ClassVar[int | None] = 1
    # Whatever the server loaded; `probe()` lists it.
    known_models: ClassVar[tuple[ModelInfo, ...]] = ()
    gated_models: ClassVar[tuple[ModelInfo, ...]] = ()
