"""A whole run against the fake OpenAI-compatible teacher, with every kind of fault injected."""

import json
import re

import pytest

from generation.models import RunStatus, TeacherCall
from generation.pipeline.research.snapshot import CardQuality, Condensation, ResearchSnapshot
from generation.pipeline.runner import execute_run
from providers.base import CompletionRequest
from providers.demo import DemoTeacher
from tests.fakes.teacher_server import Reply
from tests.generation.factories import make_run

pytestmark = pytest.mark.django_db(transaction=True)

RESEARCH = ResearchSnapshot(
    source_kind="text",
    mode="standard",
    subject="tiny test model",
    pipeline_tag="text-generation",
    license="apache-2.0",
    card_text="# Tiny Test Model\n\nA small model.",
    condensation=Condensation(method="none", original_tokens=8, kept_tokens=8),
    quality=CardQuality(score=50, thin=False),
)


def demo_reply(stage, **context):
    request = CompletionRequest(
        messages=[],
        model="demo",
        max_tokens=100,
        stage=stage,
        context={
            "research": RESEARCH.model_dump(mode="json"),
            "difficulty": "beginner",
            "language": "en",
            "max_sections": 4,
            **context,
        },
    )
    return DemoTeacher(model="demo").complete(request).text


class DemoResponder:
    """Answers like a good teacher: the demo's plan, wrap-up and the section for the step asked."""

    def __init__(self):
        self.outline = demo_reply("outline")

    def __call__(self, body):
        name = (body.get("response_format") or {}).get("json_schema", {}).get("name")
        if name == "outline":
            return self.outline
        if name == "wrapup":
            return demo_reply("wrapup", outline=json.loads(self.outline))
        step = int(re.search(r"Write Step (\d+):", body["messages"][1]["content"]).group(1))
        return demo_reply("section", outline=json.loads(self.outline), section_index=step - 1)


@pytest.fixture
def local_teacher_settings(settings, teacher_server):
    teacher_server.responder = DemoResponder()
    settings.ALAIN = {
        **settings.ALAIN,
        "LOCAL_BASE_URL": teacher_server.base_url,
        "LOCAL_MODEL": "fake-teacher",
        "HTTP_TIMEOUT_SECONDS": 1.0,
        "HTTP_MAX_ATTEMPTS": 5,
        "HTTP_BACKOFF_BASE_SECONDS": 0.01,
        "HTTP_BACKOFF_MAX_SECONDS": 0.02,
        # One section at a time, so the scripted faults land on known calls.
        "SECTION_CONCURRENCY": 1,
        "JSON_MAX_ATTEMPTS": 4,
    }
    return teacher_server


def run_with_local_teacher():
    run = make_run(options={"provider": "local", "teacher_model": "fake-teacher"})
    return execute_run(run.pk)


def test_http_faults_are_retried_inside_one_teacher_call(local_teacher_settings):
    server = local_teacher_settings
    server.enqueue(
        Reply.error(429, headers={"Retry-After": "0"}),
        Reply.error(500, "upstream exploded"),
        Reply(drop=True),
        Reply(delay=1.5),  # longer than the 1 s read timeout
    )
    run = run_with_local_teacher()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    outline_call = TeacherCall.objects.get(run=run, stage="outline")
    outcomes = [a["outcome"] for a in outline_call.http_attempts]
    assert outcomes[:4] == ["rate_limited", "server_error", "connection", "timeout"]
    assert outcomes[-1] == "ok"
    assert outline_call.http_attempts[0]["retry_after"] == 0
    assert (outline_call.attempt, outline_call.outcome) == (1, "ok")


def test_malformed_schema_violating_and_truncated_replies_are_retried_with_feedback(local_teacher_settings):
    server = local_teacher_settings
    good_outline = server.responder.outline
    broken = json.loads(good_outline)
    del broken["objectives"]
    server.enqueue(
        Reply("{this is not json at all"),
        Reply(json.dumps(broken)),
        Reply(good_outline[: len(good_outline) // 2], finish_reason="length"),
    )
    run = run_with_local_teacher()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    calls = list(TeacherCall.objects.filter(run=run, stage="outline").order_by("attempt"))
    assert [(c.attempt, c.outcome) for c in calls] == [
        (1, "invalid_json"),
        (2, "schema_invalid"),
        (3, "truncated"),
        (4, "ok"),
    ]
    assert "objectives" in calls[1].error
    assert calls[2].json_repaired is False
    feedback = server.chat_requests[1].json["messages"][-1]["content"]
    assert "not valid JSON" in feedback


def test_a_teacher_that_never_answers_well_fails_the_stage_and_says_why(local_teacher_settings, settings):
    server = local_teacher_settings
    server.responder = lambda body: '{"title": "x"}'
    run = run_with_local_teacher()
    assert (run.status, run.error_stage, run.error_kind) == (RunStatus.FAILED, "outline", "teacher")
    assert "no valid outline in 4 attempts" in run.error_message
    assert TeacherCall.objects.filter(run=run, outcome="schema_invalid").count() == 4
    assert not run.versions.exists()


@pytest.mark.parametrize(("cap", "expected"), [("1", 1), ("3", 3)])
def test_sections_never_exceed_the_teachers_concurrency_cap(local_teacher_settings, settings, cap, expected):
    server = local_teacher_settings
    server.latency = 0.2
    settings.ALAIN = {**settings.ALAIN, "SECTION_CONCURRENCY": 4, "LOCAL_CONCURRENCY": cap}
    run = run_with_local_teacher()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    # Four sections and the wrap-up were in flight together, up to the cap.
    assert server.max_concurrent == expected


def test_the_api_key_is_stored_nowhere_even_when_the_server_echoes_it(local_teacher_settings, settings, tmp_path):
    from django.core.files.storage import default_storage

    from generation.models import Run, RunEvent

    canary = "sk-canary-" + "Q7x9" * 8
    server = local_teacher_settings
    server.require_api_key = canary
    server.enqueue(Reply.error(500, f"upstream refused key {canary}"))
    settings.ALAIN = {**settings.ALAIN, "LOCAL_API_KEY": canary}
    run = run_with_local_teacher()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert server.chat_requests[0].header("Authorization") == f"Bearer {canary}"
    stored = [
        *(str(v) for v in Run.objects.filter(pk=run.pk).values().first().values()),
        *(str(row) for row in TeacherCall.objects.filter(run=run).values()),
        *(str(row) for row in RunEvent.objects.filter(run=run).values()),
    ]
    for artifact in run.artifacts.all():
        stored.append(default_storage.open(artifact.path).read().decode("utf-8"))
    assert stored and not [text for text in stored if canary in text]
    assert any("upstream refused key" in text for text in stored), "the error itself is kept, redacted"
