"""Settings of the Research Scout as one small value, so it runs with or without Django."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generation.pipeline.research.uploads import DEFAULT_MAX_SOURCE_BYTES

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_BUDGET_TOKENS = 1400


@dataclass(frozen=True)
class ResearchConfig:
    """Where to cache, how long entries stay fresh, how to reach the Hub.

    `offline` never contacts the Hub (cache only). `clock` is injectable so tests can age the
    cache without sleeping.
    """

    cache_dir: Path
    ttl_seconds: int = 24 * 3600
    token: str = ""
    endpoint: str = ""
    offline: bool = False
    max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES
    timeout_seconds: float = 20.0
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)

    @property
    def hub_endpoint(self) -> str:
        return (self.endpoint or DEFAULT_ENDPOINT).rstrip("/")


def config_from_settings(alain: Mapping[str, Any] | None = None) -> ResearchConfig:
    """Build the config from `settings.ALAIN` (or the mapping given, for callers without Django)."""
    if alain is None:
        from django.conf import settings  # only here, so the rest of the module needs no Django

        alain = settings.ALAIN
    return ResearchConfig(
        cache_dir=Path(alain["HF_CACHE_DIR"]),
        ttl_seconds=int(alain.get("HF_CACHE_TTL_SECONDS", 24 * 3600)),
        token=alain.get("HF_TOKEN", "") or "",
        endpoint=alain.get("HF_ENDPOINT", "") or "",
        offline=bool(alain.get("HF_OFFLINE", False)),
        max_source_bytes=int(alain.get("MAX_SOURCE_BYTES", DEFAULT_MAX_SOURCE_BYTES)),
    )
