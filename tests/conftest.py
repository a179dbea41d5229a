"""Shared fixtures: isolated storage and caches per test, and the one fake teacher server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from providers.http import forget_modes
from tests.fakes.teacher_server import FakeTeacherServer


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    # FileSystemStorage listens for MEDIA_ROOT changes, so default_storage follows.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ALAIN = {**settings.ALAIN, "HF_CACHE_DIR": str(tmp_path / "hf-cache"), "HF_TOKEN": ""}


@pytest.fixture(autouse=True)
def _fresh_mode_memory() -> Iterator[None]:
    # The learnt structured-output modes are process-wide; tests must not leak them.
    forget_modes()
    yield
    forget_modes()


@pytest.fixture
def teacher_server() -> Iterator[FakeTeacherServer]:
    with FakeTeacherServer() as server:
        yield server
