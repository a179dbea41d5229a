"""JSON log lines carry the request, run and stage; a canary key appears nowhere ALAIN writes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django_q.models import OrmQ

from alain_site.observability import context
from alain_site.observability.logs import ContextFilter, JsonFormatter, RedactingFilter
from generation import tasks
from generation.models import Run, RunEvent, TeacherCall
from tests.cluster.responders import DemoResponder
from tests.fakes.teacher_server import FakeTeacherServer, Reply
from tests.generation.factories import SAMPLE_CARD
from tests.observability.helpers import scrape

pytestmark = pytest.mark.django_db
CANARY = "sk-canary" + "7Hq2" * 10


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_log_line_is_one_json_object_with_its_context_and_no_secret(captured):
    with context.bound(request_id="req-1", tutorial_id="tiny-abc123", stage="outline"):
        logging.getLogger("alain.test").warning("calling with %s", f"Bearer {CANARY}", extra={"key": CANARY})
    [line] = lines_of(captured)
    assert line["message"] == "calling with [redacted]"
    assert line["key"] == "[redacted]"
    assert (line["level"], line["logger"]) == ("WARNING", "alain.test")
    assert (line["request_id"], line["tutorial_id"], line["stage"]) == ("req-1", "tiny-abc123", "outline")
    assert line["time"].endswith("+00:00")


def test_an_exception_is_logged_as_text_without_its_secret(captured):
    try:
        raise RuntimeError(f"provider said: invalid key {CANARY}")
    except RuntimeError:
        logging.getLogger("alain.test").exception("failed")
    [line] = lines_of(captured)
    assert "RuntimeError: provider said: invalid key [redacted]" in line["exc_info"]
    assert CANARY not in captured.getvalue()


def test_the_request_id_is_echoed_chosen_safely_and_reaches_the_log(captured, make_user_with_token):
    client = Client()
    response = client.get("/api/health", HTTP_X_REQUEST_ID="ci-build-42")
    assert response["X-Request-ID"] == "ci-build-42"
    forged = client.get("/api/health", HTTP_X_REQUEST_ID='x"\n{"level": "fake"}')
    assert forged["X-Request-ID"] != 'x"\n{"level": "fake"}' and len(forged["X-Request-ID"]) == 32
    missing = client.get("/api/runs", HTTP_X_REQUEST_ID="lost-key-1")
    assert missing.status_code == 401
    unauthorized = [line for line in lines_of(captured) if line["logger"] == "django.request"]
    assert unauthorized and unauthorized[-1]["request_id"] == "lost-key-1"


@pytest.fixture
def make_user_with_token(db):
    from django.contrib.auth.models import User

    from alain_site.accounts.roles import ensure_role
    from alain_site.accounts.tokens import create_token

    user = User.objects.create_user("ann", password="a-long-password-123")
    ensure_role(user, "authors")
    _, key = create_token(user, name="tests")
    return user, key


@pytest.fixture
def openai_teacher(settings) -> Iterator[FakeTeacherServer]:
    """An OpenAI-compatible teacher that needs the canary key and first answers with an error that echoes it."""
    with FakeTeacherServer(responder=DemoResponder(), require_api_key=CANARY) as server:
        server.enqueue(Reply.error(500, f"upstream rejected key {CANARY} (Authorization: Bearer {CANARY})"))
        settings.ALAIN = {
            **settings.ALAIN,
            "OPENAI_API_KEY": CANARY,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_MODEL": "fake-teacher",
            "HTTP_BACKOFF_BASE_SECONDS": 0,
        }
        yield server


def test_a_canary_key_appears_in_no_log_task_result_page_artifact_row_or_metric(
    captured, make_user_with_token, openai_teacher, settings, tmp_path
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    _, token = make_user_with_token
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    queued = api.post(
        "/api/generate/notebook",
        {
            "source": {"kind": "text", "text": SAMPLE_CARD},
            "options": {"provider": "openai", "max_sections": 3, "execute": False},
        },
        content_type="application/json",
        HTTP_X_REQUEST_ID="canary-request",
    )
    assert queued.status_code == 202, queued.content
    run = Run.objects.get(tutorial_id=queued.json()["id"])
    [task] = OrmQ.objects.all()
    assert task.task["kwargs"]["request_id"] == "canary-request"

    result = tasks.run_pipeline(run.pk, request_id="canary-request")

    run.refresh_from_db()
    assert result.endswith(": succeeded"), (result, run.error_message)
    assert openai_teacher.chat_requests[0].header("Authorization") == f"Bearer {CANARY}"
    lines = lines_of(captured)
    run_lines = [line for line in lines if line.get("tutorial_id") == run.tutorial_id]
    assert run_lines and all(line["request_id"] == "canary-request" for line in run_lines)
    # Lines from the teacher threads of the sections stage name the run and the stage too.
    assert any(
        line.get("stage") == "sections" and line["logger"].startswith("generation.pipeline") for line in run_lines
    )
    assert any("[redacted]" in line["message"] for line in lines), "the echoed key was logged, redacted"

    places = {
        "logs": captured.getvalue(),
        "task result": result,
        "run page (API)": api.get(f"/api/runs/{run.tutorial_id}").content.decode(),
        "providers (API)": api.get("/api/providers").content.decode(),
        "metrics": scrape(),
        "events": json.dumps(list(RunEvent.objects.filter(run=run).values("message", "data")), default=str),
        "run row": json.dumps(list(Run.objects.filter(pk=run.pk).values()), default=str),
        "teacher calls": json.dumps(list(TeacherCall.objects.filter(run=run).values()), default=str),
        "not found page": Client().get("/no-such-page/").content.decode(),
    }
    media = Path(settings.MEDIA_ROOT)
    artifacts = [path for path in media.rglob("*") if path.is_file()]
    assert artifacts, "the run published its artifacts"
    for path in artifacts:
        places[f"artifact {path.name}"] = path.read_text(errors="replace")
    for place, text in places.items():
        assert CANARY not in text, f"the canary key leaked into {place}"
        assert CANARY[9:25] not in text, f"part of the canary key leaked into {place}"


def test_an_error_page_and_its_log_line_do_not_show_a_secret(captured, monkeypatch, settings):
    settings.DEBUG = False

    def explode():
        raise RuntimeError(f"cannot reach storage with key {CANARY}")

    monkeypatch.setattr("alain_site.health.site_health", explode)
    response = Client(raise_request_exception=False).get("/api/health")
    assert response.status_code == 500
    assert CANARY not in response.content.decode()
    assert CANARY not in captured.getvalue()
    assert any("RuntimeError" in line.get("exc_info", "") for line in lines_of(captured))
