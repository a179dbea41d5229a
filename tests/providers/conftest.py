from __future__ import annotations

import pytest


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the client asked for, in order (the client never really sleeps in tests)."""
    return []
