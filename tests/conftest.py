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
    # No heartbeat thread in in-process tests: it would write through a second connection
    # beside the test's transaction (the cluster tests run real workers, which beat).
    settings.ALAIN = {
        **settings.ALAIN,
        "HF_CACHE_DIR": str(tmp_path / "hf-cache"),
        "HF_TOKEN": "",
        "RUN_HEARTBEAT_SECONDS": 0,
    }


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


@pytest.fixture
def demo_plan_data() -> dict:
    """A valid plan with the default number of steps, as the demo teacher writes it."""
    import json

    from generation.pipeline.research.snapshot import CardQuality, Condensation, ResearchSnapshot
    from providers.base import CompletionRequest
    from providers.demo import DemoTeacher

    research = ResearchSnapshot(
        source_kind="hf",
        mode="standard",
        repo_id="acme/tiny-chat",
        subject="acme/tiny-chat",
        pipeline_tag="text-generation",
        license="apache-2.0",
        card_text="# Tiny chat\n\nA tiny chat model.",
        condensation=Condensation(method="none", original_tokens=10, kept_tokens=10),
        quality=CardQuality(score=40, thin=True),
    )
    request = CompletionRequest(
        messages=[],
        model="demo",
        max_tokens=100,
        stage="outline",
        context={
            "research": research.model_dump(mode="json"),
            "difficulty": "beginner",
            "language": "en",
            "max_sections": 5,
        },
    )
    return json.loads(DemoTeacher(model="demo").complete(request).text)


# CI runs the whole suite twice, on SQLite (README's `make test`) and on PostgreSQL. Tests that
# never touch the database give the same answer on both, so the second run may leave them out.
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="Run only the tests that use the database (a suite already run in full on another database).",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    kept, left_out = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or bool(
            _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if uses_database else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
