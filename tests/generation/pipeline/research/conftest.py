"""Fixtures for the Research Scout: a fake Hub serving the real cards, a config pointing at it,
and a huggingface_hub that can neither see the real Hub nor the developer's own cache/token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from generation.pipeline.research.config import ResearchConfig
from tests.fakes.hf_env import isolate_hf
from tests.fakes.hub_server import FakeHubServer


class FakeClock:
    """Time the cache sees; tests move it forward instead of sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _private_hf_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_hf(tmp_path, monkeypatch)


@pytest.fixture
def hub() -> Iterator[FakeHubServer]:
    with FakeHubServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(hub: FakeHubServer, tmp_path: Path, clock: FakeClock) -> ResearchConfig:
    return ResearchConfig(
        cache_dir=tmp_path / "research-cache", ttl_seconds=3600, endpoint=hub.url, timeout_seconds=5.0, clock=clock
    )
