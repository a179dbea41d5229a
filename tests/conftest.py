"""Shared fixtures: every test writes artifacts and caches under its own temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    # FileSystemStorage listens for MEDIA_ROOT changes, so default_storage follows.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ALAIN = {**settings.ALAIN, "HF_CACHE_DIR": str(tmp_path / "hf-cache"), "HF_TOKEN": ""}
