"""Fixtures of the browser tests: Debian's Chromium, the live server, users, sign-in, runs.

- The browser lives for the `tests/browser` package (launched once, closed after its last
  test): Playwright's sync API keeps an event loop running in the main thread, and while it
  runs Django refuses ORM calls from that thread unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Both
  are confined to this package so the rest of the suite runs as usual.
- Tests use `transactional_db`: the live server's thread must see the rows a test creates.
- Runs are not handed to a django-q2 cluster: `pipeline` records the task that the generate
  page queues, and `pipeline.run(...)` executes it in the test with the demo teacher while the
  browser polls the run page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.support import (
    CHROMIUM,
    DEFAULT_TIMEOUT_MS,
    LAUNCH_ARGS,
    PASSWORD,
    Axe,
    PageLog,
    missing_browser_reason,
)

HERE = Path(__file__).resolve().parent

if Axe is None:
    # Without the dev extras the test modules cannot even be imported (they use Playwright).
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every browser test, saying why, where Chromium or Playwright is missing."""
    reason = missing_browser_reason()
    if not reason:
        return
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser(_orm_beside_playwright: None) -> Iterator[object]:
    reason = missing_browser_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (5 s by default): the machine may be busy.
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def context(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context, page_log: PageLog) -> object:
    page = context.new_page()
    page.on("console", page_log.on_console)
    page.on("pageerror", page_log.on_page_error)
    return page


# -- users -----------------------------------------------------------------------------------


@pytest.fixture
def make_user(transactional_db) -> Callable[..., object]:
    """A user with the given roles (authors, reviewers, admins) and teams, password PASSWORD.

    The role groups come from a migration, but a transactional test empties every table after
    it runs: `ensure_role` creates the group again when needed.
    """
    from django.contrib.auth import get_user_model

    from alain_site.accounts.roles import add_to_team, ensure_role

    def make(username: str, *, roles: tuple[str, ...] = (), teams: tuple[str, ...] = (), **extra: object):
        user = get_user_model().objects.create_user(
            username=username, email=f"{username}@example.org", password=PASSWORD, **extra
        )
        for role in roles:
            ensure_role(user, role)
        for team in teams:
            add_to_team(user, team)
        return user

    return make


@pytest.fixture
def author(make_user):
    return make_user("ada", roles=("authors",), teams=("blue-team",))


@pytest.fixture
def reviewer(make_user):
    return make_user("rui", roles=("reviewers",), teams=("blue-team",))


@pytest.fixture
def portal_admin(make_user):
    return make_user("ana", roles=("admins",))


@pytest.fixture
def signed_in_page(page) -> Callable[[object], object]:
    """`signed_in_page(user)`: the test's page, signed in as that user through the login form."""

    from tests.browser.flows import sign_in

    def sign_in_as(user) -> object:
        sign_in(page, user.username)
        assert "/accounts/login/" not in page.url, f"sign-in as {user.username} failed: still on {page.url}"
        return page

    return sign_in_as


# -- runs ------------------------------------------------------------------------------------


@dataclass
class InlinePipeline:
    """Stands in for the django-q2 cluster: records queued runs, runs them when the test says."""

    queued: list[int] = field(default_factory=list)

    def async_task(self, func: str, *args: object, **kwargs: object) -> str:
        assert func == "generation.tasks.run_pipeline", func
        self.queued.append(int(args[0]))
        return f"browser-test-task-{len(self.queued)}"

    def last_run(self):
        from generation.models import Run

        assert self.queued, "the page did not queue a run"
        return Run.objects.get(pk=self.queued[-1])

    def run(self, run_id: int | None = None, *, teacher=None):
        """Execute the run (default: the last queued) with the demo teacher; returns it finished."""
        from generation.pipeline.runner import execute_run
        from providers.demo import DemoTeacher

        assert self.queued, "the page did not queue a run"
        run_id = run_id if run_id is not None else self.queued[-1]
        return execute_run(run_id, teacher=teacher or DemoTeacher(model="alain-demo"))


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> InlinePipeline:
    import django_q.tasks

    inline = InlinePipeline()
    # generation.queueing imports async_task when it queues, so patching the module is enough.
    monkeypatch.setattr(django_q.tasks, "async_task", inline.async_task)
    return inline


@pytest.fixture
def finished_run(author):
    """A run of the author's team, generated by the demo teacher (no execution: it is not needed here)."""
    from generation.models import RunStatus
    from generation.pipeline.runner import execute_run
    from providers.demo import DemoTeacher
    from tests.generation.factories import make_run

    run = make_run(created_by=author, team=author.groups.get(name="blue-team"))
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    return run


@pytest.fixture
def failed_run(author):
    """A run that failed in research: its page shows the error banner and the retry button."""
    from generation.models import RunStatus
    from generation.pipeline.runner import execute_run
    from generation.services import RunSource
    from providers.demo import DemoTeacher
    from tests.generation.factories import make_run

    run = make_run(source=RunSource(kind="text", ref="empty", text=" "), created_by=author)
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
    assert run.status == RunStatus.FAILED
    return run


@pytest.fixture
def fake_hub(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The fake Hugging Face Hub serving /work/shared/cards; research reads from it."""
    import huggingface_hub.constants

    from tests.fakes.hub_server import CARDS_DIR, FakeHubServer

    if not CARDS_DIR.is_dir():
        pytest.skip(f"{CARDS_DIR} (the captured model cards) is missing")
    hf_home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with FakeHubServer() as hub:
        settings.ALAIN = {**settings.ALAIN, "HF_ENDPOINT": hub.url, "HF_OFFLINE": False}
        yield hub
