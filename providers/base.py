"""The one interface every teacher provider implements.

A provider turns a `CompletionRequest` into a `Completion`, or raises `ProviderError` saying
whether trying again could help. Providers know nothing of runs; the caller records attempts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Structured-output forms, best first. A provider negotiates down this list when a server
# rejects a form (llama-cpp-python's server answers HTTP 500 to `json_schema`).
STRUCTURED_MODES: tuple[str, ...] = ("json_schema", "json_object_schema", "json_object", "prompt_only")


@dataclass(frozen=True)
class CompletionRequest:
    messages: list[dict[str, str]]
    model: str
    max_tokens: int
    temperature: float = 0.2
    seed: int | None = 7
    # Discourages the repetition loops small teachers fall into (None: the server's default).
    frequency_penalty: float | None = None
    # JSON Schema the reply must follow; None for free text.
    schema: dict[str, Any] | None = None
    schema_name: str = "reply"
    # What the call is for (outline, section, ...): for logs and for the demo teacher.
    stage: str = ""
    # Structured inputs for the offline demo teacher only; never sent over HTTP.
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Attempt:
    """One HTTP exchange (or one local generation) made while serving a request."""

    number: int
    mode: str
    outcome: str  # ok, rate_limited, server_error, client_error, timeout, connection, format_rejected, bad_reply
    latency_ms: int
    status: int | None = None
    error: str = ""
    retry_after: float | None = None


@dataclass
class Completion:
    text: str
    finish_reason: str
    model: str
    mode: str
    latency_ms: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: list[Attempt] = field(default_factory=list)


class ProviderError(Exception):
    """A teacher call that failed. `permanent` says whether a later retry could succeed."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        attempts: list[Attempt] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.attempts = list(attempts or [])


@dataclass(frozen=True)
class ModelInfo:
    id: str
    label: str = ""
    context_tokens: int | None = None


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str
    latency_ms: int | None = None
    models: tuple[str, ...] = ()


class Teacher:
    """Base class of teacher providers. Subclasses set `key` and implement `complete`."""

    key: ClassVar[str] = ""
    label: ClassVar[str] = ""
    is_demo: ClassVar[bool] = False
    # Requests this teacher serves at once (None: no limit known). A llama.cpp server with
    # one slot queues the rest, and their read timeouts run out while they wait.
    max_concurrency: int | None = None

    def __init__(self, *, model: str, base_url: str = "", api_key: str = "", context_tokens: int = 4096) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        # Kept private and out of repr(): keys never reach logs or artifacts.
        self._api_key = api_key
        self.context_tokens = context_tokens

    def __repr__(self) -> str:
        return f"<{type(self).__name__} model={self.model!r} base_url={self.base_url!r}>"

    @property
    def has_api_key(self) -> bool:
        return bool(self._api_key)

    def complete(self, request: CompletionRequest) -> Completion:
        raise NotImplementedError

    def probe(self) -> ProbeResult:
        """Check that the provider answers (used by `alain providers`)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What may be shown or stored about this teacher: never the key."""
        return {"provider": self.key, "model": self.model, "base_url": self.base_url, "demo": self.is_demo}
