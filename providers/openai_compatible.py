"""Any server that speaks OpenAI's chat-completions API: OpenAI itself, gateways, vLLM, ...

This class is also the base of the other HTTP providers (Poe, local servers): they differ only
in their settings, whether they need a key, and which structured-output forms they offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from providers.base import STRUCTURED_MODES, Completion, CompletionRequest, ModelInfo, ProbeResult, Teacher
from providers.errors import ProviderConfigError
from providers.hosts import is_local_base_url
from providers.http import HttpClient, RetryPolicy, redact

# GPT-OSS-120B is offered as a teacher only when ALAIN["ENABLE_GPT_OSS"] is set.
GPT_OSS_120B = ModelInfo(id="gpt-oss-120b", label="GPT-OSS-120B", context_tokens=131072)


class OpenAICompatibleTeacher(Teacher):
    key = "openai"
    label = "OpenAI-compatible API"
    # Prefix of this provider's entries in the ALAIN settings: {prefix}_BASE_URL, _API_KEY, _MODEL.
    settings_prefix: ClassVar[str] = "OPENAI"
    # Environment variable a user sets for the key (named in configuration errors).
    api_key_env: ClassVar[str] = "OPENAI_API_KEY"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    default_model: ClassVar[str] = "gpt-4o-mini"
    # Structured-output forms, best first; the client falls down this list when rejected.
    structured_modes: ClassVar[tuple[str, ...]] = STRUCTURED_MODES
    known_models: ClassVar[tuple[ModelInfo, ...]] = (
        ModelInfo(id="gpt-4o-mini", label="GPT-4o mini", context_tokens=128000),
        ModelInfo(id="gpt-4o", label="GPT-4o", context_tokens=128000),
        ModelInfo(id="gpt-4.1-mini", label="GPT-4.1 mini", context_tokens=1047576),
    )
    gated_models: ClassVar[tuple[ModelInfo, ...]] = (GPT_OSS_120B,)

    # Requests served at once unless `<PREFIX>_CONCURRENCY` says otherwise (None: no cap).
    default_concurrency: ClassVar[int | None] = None

    def __init__(
        self,
        *,
        model: str,
        base_url: str = "",
        api_key: str = "",
        context_tokens: int = 4096,
        http: HttpClient | None = None,
    ) -> None:
        super().__init__(
            model=model, base_url=base_url or self.default_base_url, api_key=api_key, context_tokens=context_tokens
        )
        self.http = http or HttpClient()

    @classmethod
    def requires_api_key(cls, base_url: str) -> bool:
        """A key is needed unless the server is on this machine or its private network."""
        return not is_local_base_url(base_url)

    @classmethod
    def models(cls, *, enable_gpt_oss: bool) -> tuple[ModelInfo, ...]:
        """Teacher models offered for this provider."""
        return cls.known_models + (cls.gated_models if enable_gpt_oss else ())

    @classmethod
    def settings_value(cls, config: Mapping[str, Any], name: str, default: str = "") -> str:
        return str(config.get(f"{cls.settings_prefix}_{name}") or default)

    def complete(self, request: CompletionRequest) -> Completion:
        return self.http.complete(
            request,
            provider_key=self.key,
            base_url=self.base_url,
            api_key=self._api_key,
            modes=self.structured_modes,
        )

    def probe(self) -> ProbeResult:
        if self.requires_api_key(self.base_url) and not self.has_api_key:
            return ProbeResult(ok=False, message=f"No API key: set {self.api_key_env}")
        return self.http.probe(base_url=self.base_url, api_key=self._api_key)

    def describe(self) -> dict[str, Any]:
        # A base URL can carry credentials (user:pass@host, ?api_key=); they are not shown either.
        return {
            **super().describe(),
            "base_url": redact(self.base_url, secrets=(self._api_key,)),
            "structured_modes": list(self.structured_modes),
        }

    def __repr__(self) -> str:
        base_url = redact(self.base_url, secrets=(self._api_key,))
        return f"<{type(self).__name__} model={self.model!r} base_url={base_url!r}>"

    @classmethod
    def build(
        cls,
        *,
        config: Mapping[str, Any],
        model: str | None,
        base_url: str | None,
        api_key: str | None,
        context_tokens: int,
    ) -> OpenAICompatibleTeacher:
        """A teacher from the ALAIN settings; explicit arguments win over settings."""
        resolved_url = base_url or cls.settings_value(config, "BASE_URL", cls.default_base_url)
        resolved_key = api_key or cls.settings_value(config, "API_KEY")
        if not resolved_key and cls.requires_api_key(resolved_url):
            raise ProviderConfigError(
                f"The {cls.label} teacher at {resolved_url} needs an API key: set {cls.api_key_env}."
            )
        known = {info.id: info for info in cls.known_models + cls.gated_models}
        resolved_model = model or cls.settings_value(config, "MODEL", cls.default_model)
        info = known.get(resolved_model)
        teacher = cls(
            model=resolved_model,
            base_url=resolved_url,
            api_key=resolved_key,
            # The catalog's window when it knows the model; the configured assumption otherwise.
            context_tokens=(info.context_tokens if info and info.context_tokens else context_tokens),
            http=HttpClient(policy=RetryPolicy.from_settings(config)),
        )
        concurrency = cls.settings_value(config, "CONCURRENCY", str(cls.default_concurrency or ""))
        teacher.max_concurrency = int(concurrency) if concurrency else None
        return teacher
