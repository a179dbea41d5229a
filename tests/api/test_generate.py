"""`/api/generate/outline`, `/section` and `/notebook`: results, refusals, teacher failures, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_q.models import OrmQ

from alain_site.api.routes import generate as generate_route
from generation.models import IdempotencyKey, Run, RunStatus
from providers.governor import ProviderUnavailable
from tests.api.conftest import post_json
from tests.fakes.teacher_server import Reply

pytestmark = pytest.mark.django_db

CARD = (Path(__file__).resolve().parents[2] / "generation" / "samples" / "Qwen3-0.6B.md").read_text(encoding="utf-8")
OUTLINE = "/api/generate/outline"
SECTION = "/api/generate/section"
NOTEBOOK = "/api/generate/notebook"


def text_request(**options: Any) -> dict[str, Any]:
    return {"source": {"kind": "text", "text": CARD}, "options": {"provider": "demo", "max_sections": 4, **options}}


def notebook_request(**options: Any) -> dict[str, Any]:
    return text_request(execute=False, **options)


@pytest.fixture
def outline(api) -> dict[str, Any]:
    """A demo outline and its research, as /generate/outline answers them."""
    response = post_json(api, OUTLINE, text_request())
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def bad_json_teacher(settings, teacher_server):
    """The `local` provider pointed at a teacher that only ever answers text that is not JSON."""
    teacher_server.responder = lambda body: "{this is not json, sorry"
    settings.ALAIN = {
        **settings.ALAIN,
        "LOCAL_BASE_URL": teacher_server.base_url,
        "LOCAL_MODEL": "fake-teacher",
        "HTTP_TIMEOUT_SECONDS": 2.0,
        "HTTP_MAX_ATTEMPTS": 1,
        "HTTP_BACKOFF_BASE_SECONDS": 0.01,
        "HTTP_BACKOFF_MAX_SECONDS": 0.02,
        "JSON_MAX_ATTEMPTS": 2,
    }
    return teacher_server


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


# --- /generate/outline -------------------------------------------------------------------------


def test_outline_with_the_demo_teacher_returns_a_validated_plan_and_research(outline):
    plan = outline["outline"]
    assert plan["title"] and plan["objectives"]
    assert len(plan["steps"]) == 4
    assert all(step["title"] for step in plan["steps"])
    assert outline["research"]["source_kind"] == "text"
    assert outline["research_summary"]["subject"] == outline["research"]["subject"]
    assert outline["teacher"] == {"provider": "demo", "model": "demo"}
    assert outline["teacher_calls"]["calls"] == 1
    assert outline["teacher_calls"]["requests_succeeded"] == 1
    assert outline["prompt_version"].startswith("outline")
    assert not Run.objects.exists(), "the synchronous routes store no run"


def test_outline_of_an_empty_text_is_a_400_invalid_source(api):
    body = assert_error(post_json(api, OUTLINE, {"source": {"kind": "text", "text": "   "}}), 400, "invalid_source")
    assert "empty" in body["message"]


def test_outline_with_an_unknown_provider_is_a_400_invalid_teacher(api):
    assert_error(post_json(api, OUTLINE, text_request(provider="no-such-provider")), 400, "invalid_teacher")


def test_outline_with_a_remote_provider_without_its_key_is_a_400_invalid_teacher(api, settings):
    settings.ALAIN = {**settings.ALAIN, "OPENAI_API_KEY": ""}
    body = assert_error(post_json(api, OUTLINE, text_request(provider="openai")), 400, "invalid_teacher")
    assert "key" in body["message"].lower()


def test_outline_of_a_teacher_that_never_answers_json_is_a_502(api, bad_json_teacher):
    body = assert_error(post_json(api, OUTLINE, text_request(provider="local")), 502, "teacher_failed")
    assert "2 attempts" in body["message"]
    assert len(bad_json_teacher.chat_requests) == 2


def test_a_teacher_error_never_shows_the_api_key(api, bad_json_teacher, settings):
    canary = "sk-canary-" + "Z3q8" * 8
    settings.ALAIN = {**settings.ALAIN, "LOCAL_API_KEY": canary}
    bad_json_teacher.enqueue(Reply.error(400, f"upstream refused key {canary}"))
    response = post_json(api, OUTLINE, text_request(provider="local"))
    assert_error(response, 502, "teacher_failed")
    assert bad_json_teacher.chat_requests[0].header("Authorization") == f"Bearer {canary}"
    assert canary not in response.content.decode()


def test_an_unavailable_provider_is_a_503_with_retry_after(api, monkeypatch):
    def unavailable(*args: Any, **kwargs: Any):
        raise ProviderUnavailable("The demo teacher is busy.", provider="demo", reason="saturated", retry_after=12.4)

    monkeypatch.setattr(generate_route.direct, "outline_for_source", unavailable)
    body = assert_error(post_json(api, OUTLINE, text_request()), 503, "provider_unavailable")
    assert body["message"] == "The demo teacher is busy."
    response = post_json(api, OUTLINE, text_request())
    assert response["Retry-After"] == "13", "a hint of 12.4 s is rounded up"


def test_an_unavailable_provider_without_a_hint_still_says_when_to_retry(api, monkeypatch):
    def unavailable(*args: Any, **kwargs: Any):
        raise ProviderUnavailable("Breaker open.", provider="demo", reason="breaker_open")

    monkeypatch.setattr(generate_route.direct, "outline_for_source", unavailable)
    response = post_json(api, OUTLINE, text_request())
    assert_error(response, 503, "provider_unavailable")
    assert int(response["Retry-After"]) >= 1


# --- /generate/section -------------------------------------------------------------------------


def section_request(outline: dict[str, Any], index: int, **extra: Any) -> dict[str, Any]:
    return {
        "outline": outline["outline"],
        "research": outline["research"],
        "index": index,
        "options": {"provider": "demo", "max_sections": 4},
        **extra,
    }


def test_section_returns_the_step_asked_for(api, outline):
    response = post_json(api, SECTION, section_request(outline, 2, instruction="Stress batching."))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["index"] == 2
    section = body["section"]
    assert section["code"] and section["explanation"] and section["takeaway"]
    assert section["title"] == outline["outline"]["steps"][2]["title"]
    assert body["teacher_calls"]["calls"] == 1
    assert body["prompt_version"].startswith("section")


def test_section_with_the_default_options_fits_the_outline_it_is_given(api, outline):
    request = section_request(outline, 3)
    request.pop("options")
    response = post_json(api, SECTION, request)
    assert response.status_code == 200, response.content
    assert response.json()["section"]["title"] == outline["outline"]["steps"][3]["title"]


def test_section_index_past_the_outline_is_a_400_invalid_index(api, outline):
    body = assert_error(post_json(api, SECTION, section_request(outline, 4)), 400, "invalid_index")
    assert "4 steps" in body["message"]


def test_a_negative_section_index_is_a_422(api, outline):
    assert_error(post_json(api, SECTION, section_request(outline, -1)), 422, "invalid_request")


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        pytest.param(lambda o: o["outline"].pop("steps"), "outline.steps: Field required", id="no-steps"),
        pytest.param(lambda o: o["outline"].update(title=""), "outline.title", id="empty-title"),
        pytest.param(lambda o: o["outline"].update(steps="three"), "outline.steps", id="steps-not-a-list"),
        pytest.param(lambda o: o["research"].pop("subject"), "research.subject", id="research-without-subject"),
        pytest.param(lambda o: o.update(outline={}), "outline.title: Field required", id="empty-outline"),
    ],
)
def test_a_malformed_outline_is_a_400_invalid_outline(api, outline, breakage, where):
    broken = json.loads(json.dumps(outline))
    breakage(broken)
    body = assert_error(post_json(api, SECTION, section_request(broken, 0)), 400, "invalid_outline")
    assert "/generate/outline" in body["message"]
    assert where in body["message"]
    assert "input_value" not in body["message"] and CARD[:200] not in body["message"]


def test_section_of_a_teacher_that_never_answers_json_is_a_502(api, outline, bad_json_teacher):
    request = section_request(outline, 0)
    request["options"]["provider"] = "local"
    assert_error(post_json(api, SECTION, request), 502, "teacher_failed")


def test_section_with_an_unavailable_provider_is_a_503(api, outline, monkeypatch):
    def unavailable(**kwargs: Any):
        raise ProviderUnavailable("Saturated.", provider="demo", reason="saturated", retry_after=3)

    monkeypatch.setattr(generate_route.direct, "section_for_outline", unavailable)
    response = post_json(api, SECTION, section_request(outline, 0))
    assert_error(response, 503, "provider_unavailable")
    assert response["Retry-After"] == "3"


def test_section_with_an_overlong_instruction_is_a_422(api, outline):
    response = post_json(api, SECTION, section_request(outline, 0, instruction="x" * 1001))
    assert_error(response, 422, "invalid_request")


# --- /generate/notebook ------------------------------------------------------------------------


def test_notebook_queues_a_run_with_its_owner_team_and_task(api, author):
    response = post_json(api, NOTEBOOK, notebook_request(team="blue", difficulty="advanced"))
    assert response.status_code == 202, response.content
    body = response.json()
    run = Run.objects.get()
    assert body == {
        "id": run.tutorial_id,
        "public_id": str(run.public_id),
        "status": "queued",
        "status_url": f"/api/runs/{run.tutorial_id}",
    }
    assert response["Location"] == body["status_url"]
    assert (run.status, run.created_by, run.team) == (RunStatus.QUEUED, author, Group.objects.get(name="blue"))
    assert (run.source_kind, run.teacher_provider, run.difficulty, run.max_sections, run.execute) == (
        "text",
        "demo",
        "advanced",
        4,
        False,
    )
    assert OrmQ.objects.count() == 1
    assert api.get(body["status_url"]).json()["status"] == "queued"


def test_notebook_from_a_hugging_face_reference(api):
    body = {"source": {"kind": "hf", "ref": "https://huggingface.co/Qwen/Qwen3-0.6B"}, "options": {"provider": "demo"}}
    response = post_json(api, NOTEBOOK, body)
    assert response.status_code == 202, response.content
    run = Run.objects.get()
    assert (run.source_kind, run.source_ref, run.subject_model) == ("hf", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B")


def test_notebook_from_an_uploaded_markdown_file(api):
    body = {"source": {"kind": "file", "name": "C:\\cards\\tiny.md", "text": CARD}, "options": {"provider": "demo"}}
    response = post_json(api, NOTEBOOK, body)
    assert response.status_code == 202, response.content
    run = Run.objects.get()
    assert (run.source_kind, run.source_ref) == ("file", "tiny.md")


def test_the_same_idempotency_key_and_body_return_the_same_run(api):
    first = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="nightly-2024-06-01")
    # The same request with its keys in another order is the same request.
    body = notebook_request()
    reordered = {"options": dict(reversed(list(body["options"].items()))), "source": body["source"]}
    second = post_json(api, NOTEBOOK, reordered, HTTP_IDEMPOTENCY_KEY="nightly-2024-06-01")
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] == second.json()["id"]
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert second["Location"] == first["Location"]
    assert Run.objects.count() == 1
    assert OrmQ.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_422(api):
    first = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 202
    body = assert_error(
        post_json(api, NOTEBOOK, notebook_request(difficulty="advanced"), HTTP_IDEMPOTENCY_KEY="k-1"),
        422,
        "idempotency_key_reused",
    )
    assert first.json()["id"] in body["message"]
    assert Run.objects.count() == 1
    assert OrmQ.objects.count() == 1


def test_an_idempotency_key_belongs_to_its_user(api, bearer_client, other_author):
    mine = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="shared-key")
    theirs = post_json(bearer_client(other_author), NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="shared-key")
    assert (mine.status_code, theirs.status_code) == (202, 202)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert Run.objects.get(tutorial_id=theirs.json()["id"]).created_by == other_author
    assert Run.objects.count() == 2


def test_without_an_idempotency_key_every_request_queues_a_run(api):
    for _ in range(2):
        assert post_json(api, NOTEBOOK, notebook_request()).status_code == 202
    assert Run.objects.count() == 2
    assert OrmQ.objects.count() == 2


@pytest.mark.parametrize("key", ["k" * 256, ""])
def test_an_idempotency_key_of_a_bad_length_is_refused(api, key):
    response = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY=key)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"] in {"invalid_request", "invalid_idempotency_key"}
    assert "Idempotency-Key" in response.json()["message"]
    assert response.json()["message"][0].isupper()
    assert not Run.objects.exists()


def test_an_idempotency_key_of_255_characters_is_accepted(api):
    response = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="k" * 255)
    assert response.status_code == 202, response.content


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ({"kind": "hf", "ref": "not a model id!"}, ""),
        ({"kind": "hf", "ref": "https://example.com/acme/model"}, ""),
        ({"kind": "text", "text": " \n\t"}, "empty"),
        ({"kind": "text", "text": "card\x00with a NUL"}, "binary"),
        ({"kind": "file", "name": "card.pdf", "text": "# Card"}, "not a Markdown or text file"),
        ({"kind": "file", "name": "model.ipynb", "text": "{}"}, "not a Markdown or text file"),
        ({"kind": "file", "name": "card.md", "text": " \n "}, "empty"),
    ],
)
def test_an_invalid_source_is_a_400_that_says_why(api, source, words):
    body = assert_error(post_json(api, NOTEBOOK, {"source": source}), 400, "invalid_source")
    assert words in body["message"]
    assert not Run.objects.exists()
    assert not OrmQ.objects.exists()


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"kind": "hf", "ref": ""}, "source.hf.ref"),
        ({"kind": "hf"}, "source.hf.ref"),
        ({"kind": "text", "text": ""}, "source.text.text"),
        ({"kind": "file", "name": "", "text": "# Card"}, "source.file.name"),
        ({"kind": "pdf", "text": "# Card"}, "source"),
    ],
)
def test_a_source_missing_what_its_kind_needs_is_a_422_naming_the_field(api, source, field):
    body = assert_error(post_json(api, NOTEBOOK, {"source": source}), 422, "invalid_request")
    assert field in body["message"]
    assert not Run.objects.exists()


def test_a_source_over_the_size_limit_is_a_400(api, settings):
    settings.ALAIN = {**settings.ALAIN, "MAX_SOURCE_BYTES": 1000}
    body = assert_error(
        post_json(api, NOTEBOOK, {"source": {"kind": "text", "text": "x" * 1001}}), 400, "invalid_source"
    )
    assert "limit" in body["message"]


def test_an_unknown_provider_is_a_400_invalid_teacher(api):
    assert_error(post_json(api, NOTEBOOK, notebook_request(provider="skynet")), 400, "invalid_teacher")
    assert not Run.objects.exists()


@pytest.mark.parametrize("language", ["", "klingon-and-more", "e n"])
def test_a_bad_language_is_a_400_invalid_options(api, language):
    assert_error(post_json(api, NOTEBOOK, notebook_request(language=language)), 400, "invalid_options")
    assert not Run.objects.exists()


def test_a_team_the_author_is_not_in_is_a_400_invalid_team(api):
    Group.objects.create(name="red")
    body = assert_error(post_json(api, NOTEBOOK, notebook_request(team="red")), 400, "invalid_team")
    assert "blue" in body["message"]
    assert_error(post_json(api, NOTEBOOK, notebook_request(team="authors")), 400, "invalid_team")
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "source"),
        ({"source": {"kind": "pdf"}}, "does not match any of the expected tags"),
        ({"source": {"kind": "text", "text": CARD}, "options": {"max_sections": 99}}, "options.max_sections"),
        ({"source": {"kind": "text", "text": CARD}, "options": {"difficulty": "expert"}}, "options.difficulty"),
        ({"source": {"kind": "text", "text": CARD}, "options": {"execute": "maybe"}}, "options.execute"),
        ({"source": "Qwen/Qwen3-0.6B"}, "source"),
        ([], ""),
    ],
)
def test_a_body_that_breaks_the_schema_is_a_422_with_detail(api, body, where):
    answer = assert_error(post_json(api, NOTEBOOK, body), 422, "invalid_request")
    assert answer["detail"]
    assert where in answer["message"]
    assert not Run.objects.exists()


def test_a_body_that_is_not_json_is_a_4xx_json_error(api):
    response = api.post(NOTEBOOK, "{not json", content_type="application/json")
    assert_error(response, 400, "invalid_json")
    response = api.post(NOTEBOOK, {"source": "x"})  # multipart/form-data
    assert_error(response, 400, "invalid_json")
    assert not Run.objects.exists()


def test_a_request_that_lost_the_race_for_its_key_returns_the_winners_run(api, author, monkeypatch):
    from generation import idempotency

    winner = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="raced")
    assert winner.status_code == 202
    # The loser looked before the winner committed, so it saw no key and made its own run.
    real_earlier = idempotency._earlier
    looks = []

    def late_look(*args: Any):
        looks.append(args)
        return None if len(looks) == 1 else real_earlier(*args)

    monkeypatch.setattr(idempotency, "_earlier", late_look)
    loser = post_json(api, NOTEBOOK, notebook_request(), HTTP_IDEMPOTENCY_KEY="raced")
    assert loser.status_code == 202, loser.content
    assert loser.json()["id"] == winner.json()["id"]
    assert loser["Idempotent-Replayed"] == "true"
    assert len(looks) == 2
    assert Run.objects.count() == 1, "the loser's run was rolled back with its key"
    assert OrmQ.objects.count() == 1

    looks.clear()
    other = post_json(api, NOTEBOOK, notebook_request(language="de"), HTTP_IDEMPOTENCY_KEY="raced")
    assert_error(other, 422, "idempotency_key_reused")
    assert Run.objects.count() == 1
