from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from providers.base import ProviderError
from providers.http import build_payload, remembered_mode, response_format_for
from providers.local import LocalTeacher
from providers.openai_compatible import OpenAICompatibleTeacher
from providers.poe import PoeTeacher
from tests.fakes.teacher_server import FakeTeacherServer, Reply
from tests.providers.factories import OUTLINE_SCHEMA, SECRET_KEY, make_client, make_request, make_structured_request


def test_each_mode_builds_its_own_response_format():
    def form(mode: str) -> dict | None:
        return response_format_for(mode, schema=OUTLINE_SCHEMA, schema_name="outline spec!")

    assert form("json_schema") == {
        "type": "json_schema",
        "json_schema": {"name": "outline_spec_", "schema": OUTLINE_SCHEMA, "strict": True},
    }
    assert form("json_object_schema") == {"type": "json_object", "schema": OUTLINE_SCHEMA}
    assert form("json_object") == {"type": "json_object"}
    assert form("prompt_only") is None
    assert response_format_for("json_schema", schema=None, schema_name="outline") is None


def test_prompt_only_appends_the_schema_to_the_system_message():
    request = make_structured_request()

    payload = build_payload(request, "prompt_only")

    assert "response_format" not in payload
    system = payload["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You write tutorials as JSON.")
    assert json.dumps(OUTLINE_SCHEMA, separators=(",", ":")) in system["content"]
    assert payload["messages"][1:] == request.messages[1:]
    # The request itself is left alone (it is reused for the next mode and for retries).
    assert request.messages[0]["content"] == "You write tutorials as JSON."


def test_prompt_only_adds_a_system_message_when_there_is_none():
    request = make_structured_request(messages=[{"role": "user", "content": "Outline it."}])

    payload = build_payload(request, "prompt_only")

    assert [m["role"] for m in payload["messages"]] == ["system", "user"]
    assert '"required":["title","steps"]' in payload["messages"][0]["content"]


def test_schema_enforcing_modes_leave_the_messages_alone():
    request = make_structured_request()

    for mode in ("json_schema", "json_object_schema"):
        assert build_payload(request, mode)["messages"] == request.messages


def test_a_request_without_a_schema_sends_no_response_format(teacher_server):
    teacher = LocalTeacher(model="teacher", base_url=teacher_server.base_url, http=make_client())

    completion = teacher.complete(make_request(schema=None))

    assert completion.mode == "text"
    assert "response_format" not in teacher_server.chat_requests[0].json
    assert teacher_server.chat_requests[0].json["messages"] == make_request().messages


def test_openai_sends_a_strict_json_schema(teacher_server):
    teacher = OpenAICompatibleTeacher(
        model="gpt-4o-mini", base_url=teacher_server.base_url, api_key=SECRET_KEY, http=make_client()
    )

    completion = teacher.complete(make_structured_request())

    assert completion.mode == "json_schema"
    assert teacher_server.chat_requests[0].response_format == {
        "type": "json_schema",
        "json_schema": {"name": "outline", "schema": OUTLINE_SCHEMA, "strict": True},
    }


def test_a_server_rejecting_json_schema_with_500_gets_the_llama_cpp_form_at_once(sleeps):
    with FakeTeacherServer(reject_json_schema=True) as server:
        teacher = LocalTeacher(model="teacher", base_url=server.base_url, http=make_client(sleeps=sleeps))

        completion = teacher.complete(make_structured_request())

        assert completion.mode == "json_object_schema"
        assert [(a.mode, a.outcome, a.status) for a in completion.attempts] == [
            ("json_schema", "format_rejected", 500),
            ("json_object_schema", "ok", 200),
        ]
        assert "Input should be" in completion.attempts[0].error
        assert [r.response_format["type"] for r in server.chat_requests] == ["json_schema", "json_object"]
        assert server.chat_requests[1].response_format == {"type": "json_object", "schema": OUTLINE_SCHEMA}
        # A rejected form is not a transient failure: no backoff.
        assert sleeps == []


def test_the_working_mode_is_remembered_for_later_calls_to_the_same_server():
    with FakeTeacherServer(reject_json_schema=True) as server:
        teacher = LocalTeacher(model="teacher", base_url=server.base_url, http=make_client())
        teacher.complete(make_structured_request())
        server.reset()

        again = LocalTeacher(model="teacher", base_url=server.base_url, http=make_client()).complete(
            make_structured_request()
        )

        assert remembered_mode("local", server.base_url) == "json_object_schema"
        assert again.mode == "json_object_schema"
        assert [a.outcome for a in again.attempts] == ["ok"]
        assert [r.response_format["type"] for r in server.chat_requests] == ["json_object"]


def test_what_was_learnt_about_one_server_does_not_apply_to_another():
    with FakeTeacherServer(reject_json_schema=True) as stock, FakeTeacherServer() as capable:
        LocalTeacher(model="teacher", base_url=stock.base_url, http=make_client()).complete(make_structured_request())

        completion = LocalTeacher(model="teacher", base_url=capable.base_url, http=make_client()).complete(
            make_structured_request()
        )

        assert completion.mode == "json_schema"
        assert remembered_mode("local", stock.base_url) == "json_object_schema"


def test_a_format_rejection_does_not_use_up_the_retry_budget():
    with FakeTeacherServer(reject_json_schema=True) as server:
        server.enqueue(Reply.error(503))
        teacher = LocalTeacher(model="teacher", base_url=server.base_url, http=make_client(max_attempts=2))

        completion = teacher.complete(make_structured_request())

        assert [a.outcome for a in completion.attempts] == ["format_rejected", "server_error", "ok"]


def test_a_400_about_the_response_format_moves_to_the_next_mode(teacher_server, sleeps):
    teacher_server.enqueue(
        Reply.error(400, "response_format.type 'json_schema' is not supported"),
        Reply.error(422, "Extra inputs are not permitted: response_format.schema"),
        Reply('{"title": "t", "steps": []}'),
    )
    teacher = LocalTeacher(model="teacher", base_url=teacher_server.base_url, http=make_client(sleeps=sleeps))

    completion = teacher.complete(make_structured_request())

    assert completion.mode == "json_object"
    assert [a.outcome for a in completion.attempts] == ["format_rejected", "format_rejected", "ok"]
    # In json_object mode the server does not see the schema, so the prompt carries it.
    assert (
        json.dumps(OUTLINE_SCHEMA, separators=(",", ":"))
        in teacher_server.chat_requests[2].json["messages"][0]["content"]
    )
    assert sleeps == []


def test_a_plain_500_is_retried_in_the_same_mode(teacher_server, sleeps):
    teacher_server.enqueue(Reply.error(500, "CUDA error: out of memory"), Reply('{"title": "t", "steps": []}'))
    teacher = LocalTeacher(model="teacher", base_url=teacher_server.base_url, http=make_client(sleeps=sleeps))

    completion = teacher.complete(make_structured_request())

    assert completion.mode == "json_schema"
    assert [(a.mode, a.outcome) for a in completion.attempts] == [
        ("json_schema", "server_error"),
        ("json_schema", "ok"),
    ]
    assert len(sleeps) == 1


def test_a_server_rejecting_every_form_the_provider_offers_is_a_permanent_error():
    with FakeTeacherServer(reject_json_schema=True) as server, pytest.raises(ProviderError) as caught:
        make_client().complete(
            make_structured_request(), provider_key="strict", base_url=server.base_url, modes=("json_schema",)
        )

    assert caught.value.permanent is True
    assert [a.outcome for a in caught.value.attempts] == ["format_rejected"]
    assert "rejected every structured-output form" in caught.value.message


def test_poe_never_sends_a_response_format_and_puts_the_schema_in_the_prompt(teacher_server):
    teacher = PoeTeacher(
        model="Claude-Sonnet-4.5", base_url=teacher_server.base_url, api_key=SECRET_KEY, http=make_client()
    )

    completion = teacher.complete(make_structured_request())

    (sent,) = teacher_server.chat_requests
    assert completion.mode == "prompt_only"
    assert "response_format" not in sent.json
    assert json.dumps(OUTLINE_SCHEMA, separators=(",", ":")) in sent.json["messages"][0]["content"]


def test_parallel_calls_to_a_stock_server_all_end_in_the_working_mode():
    with FakeTeacherServer(reject_json_schema=True, latency=0.02) as server:
        teacher = LocalTeacher(model="teacher", base_url=server.base_url, http=make_client())

        with ThreadPoolExecutor(max_workers=4) as pool:
            completions = list(pool.map(lambda _: teacher.complete(make_structured_request()), range(8)))

    assert {c.mode for c in completions} == {"json_object_schema"}
    assert remembered_mode("local", server.base_url) == "json_object_schema"


def test_a_request_rejected_in_every_form_teaches_nothing(teacher_server):
    teacher_server.enqueue(*[Reply.error(400, "maximum context length exceeded") for _ in range(4)])
    teacher = LocalTeacher(model="teacher", base_url=teacher_server.base_url, http=make_client())

    with pytest.raises(ProviderError) as caught:
        teacher.complete(make_structured_request())

    assert [a.outcome for a in caught.value.attempts] == [
        "format_rejected",
        "format_rejected",
        "format_rejected",
        "client_error",
    ]
    assert caught.value.permanent is True
    assert "maximum context length" in caught.value.message
    assert remembered_mode("local", teacher_server.base_url) is None
