"""The registry of teacher providers and the one way to build a teacher from settings.

Adding a provider is one module with a `Teacher` subclass and one line in `PROVIDERS`.
Entries are import paths, loaded when first needed, so a provider module that is missing or
broken only affects that provider.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from providers.base import Teacher
from providers.errors import ProviderConfigError, UnknownProvider
from providers.hosts import is_local_base_url

__all__ = [
    "PROVIDERS",
    "ProviderConfigError",
    "UnknownProvider",
    "catalog_entries",
    "default_provider",
    "get_teacher",
    "provider_class",
]

PROVIDERS: dict[str, str] = {
    "openai": "providers.openai_compatible.OpenAICompatibleTeacher",
    "poe": "providers.poe.PoeTeacher",
    "local": "providers.local.LocalTeacher",
    "demo": "providers.demo.DemoTeacher",
}

# The GPT-OSS-120B teacher option sits behind ALAIN["ENABLE_GPT_OSS"].
GPT_OSS_MODEL = "gpt-oss-120b"

# Model name used for the demo teacher when neither the call nor the settings give one.
DEMO_MODEL = "demo"


def _alain_settings(settings: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if settings is not None:
        return settings
    # Imported late: the catalog is usable (with explicit settings) without configured Django.
    from django.conf import settings as django_settings

    return getattr(django_settings, "ALAIN", {})


def provider_class(key: str) -> type[Teacher]:
    """The Teacher class registered under `key`.

    Raises UnknownProvider (a ProviderConfigError) for a key that is not registered, and
    ProviderConfigError for a registered provider whose module cannot be imported.
    """
    path = PROVIDERS.get(key)
    if path is None:
        raise UnknownProvider(f"Unknown teacher provider {key!r}; choose one of: {', '.join(sorted(PROVIDERS))}.")
    module_name, _, class_name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ProviderConfigError(f"The teacher provider {key!r} is not available: {exc}.") from None
    if not (isinstance(cls, type) and issubclass(cls, Teacher)):
        raise ProviderConfigError(f"The teacher provider {key!r} ({path}) is not a Teacher class.")
    return cls


def default_provider(settings: Mapping[str, Any] | None = None) -> str:
    """The provider used when none is given.

    ALAIN["DEFAULT_PROVIDER"] when set; otherwise the first HTTP provider that is configured
    (a key, or an OpenAI-compatible base URL on a local host); otherwise the offline demo.
    """
    config = _alain_settings(settings)
    explicit = str(config.get("DEFAULT_PROVIDER") or "").strip()
    if explicit:
        return explicit
    if config.get("OPENAI_API_KEY") or is_local_base_url(str(config.get("OPENAI_BASE_URL") or "")):
        return "openai"
    if config.get("POE_API_KEY"):
        return "poe"
    return "demo"


def get_teacher(
    provider: str | None,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Teacher:
    """Build the teacher for `provider`, filling what is not given from the ALAIN settings.

    Explicit arguments win; empty strings count as not given. Raises ProviderConfigError for an
    unknown provider or a remote provider without a key.
    """
    config = _alain_settings(settings)
    key = (provider or "").strip() or default_provider(config)
    cls = provider_class(key)
    # The configured teacher model belongs to the default provider only, and means nothing to
    # the offline demo.
    if not model and key == default_provider(config) and not cls.is_demo:
        model = str(config.get("DEFAULT_TEACHER_MODEL") or "") or None
    if model and model.strip().lower() == GPT_OSS_MODEL and not config.get("ENABLE_GPT_OSS"):
        raise ProviderConfigError("The GPT-OSS-120B teacher is offered only when ALAIN_ENABLE_GPT_OSS=1 is set.")
    context_tokens = int(config.get("TEACHER_CONTEXT_TOKENS") or 4096)
    build = getattr(cls, "build", None)
    if callable(build):
        return build(
            config=config,
            model=model or None,
            base_url=base_url or None,
            api_key=api_key,
            context_tokens=context_tokens,
        )
    # Providers without settings of their own (the offline demo) take the base constructor;
    # their own defaults (model, context window) apply to what is not given.
    kwargs: dict[str, Any] = {"model": model or getattr(cls, "default_model", DEMO_MODEL)}
    if base_url:
        kwargs["base_url"] = base_url
    if api_key:
        kwargs["api_key"] = api_key
    return cls(**kwargs)


def catalog_entries(settings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """What `alain providers` shows for each provider. Says whether a key is set, never the key."""
    config = _alain_settings(settings)
    enable_gpt_oss = bool(config.get("ENABLE_GPT_OSS"))
    default_key = default_provider(config)
    entries = []
    for key in PROVIDERS:
        entry: dict[str, Any] = {"key": key, "default": key == default_key}
        try:
            cls = provider_class(key)
        except ProviderConfigError as exc:
            entries.append({**entry, "label": key, "available": False, "error": str(exc), "configured": False})
            continue
        entry.update(label=cls.label or key, available=True, demo=cls.is_demo)
        settings_value = getattr(cls, "settings_value", None)
        if callable(settings_value):
            base_url = settings_value(config, "BASE_URL", cls.default_base_url)
            has_key = bool(settings_value(config, "API_KEY"))
            key_required = cls.requires_api_key(base_url)
            entry.update(
                default_model=settings_value(config, "MODEL", cls.default_model),
                base_url=base_url,
                has_key=has_key,
                key_required=key_required,
                api_key_env=cls.api_key_env,
                configured=has_key or not key_required,
                capabilities=list(cls.structured_modes),
                models=[_model_entry(info) for info in cls.models(enable_gpt_oss=enable_gpt_oss)],
            )
        else:
            entry.update(
                default_model=getattr(cls, "default_model", DEMO_MODEL),
                base_url="",
                has_key=False,
                key_required=False,
                api_key_env="",
                configured=True,
                capabilities=list(getattr(cls, "structured_modes", ())),
                models=[],
            )
        entries.append(entry)
    return entries


def _model_entry(info: Any) -> dict[str, Any]:
    return {"id": info.id, "label": info.label or info.id, "context_tokens": info.context_tokens}
