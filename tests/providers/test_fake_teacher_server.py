"""The fake server is shared by many suites: its switches must do what they say."""

from __future__ import annotations

import json
import threading
import time

import requests

from tests.fakes.teacher_server import FakeTeacherServer, Reply


def post(server: FakeTeacherServer, body: dict, **kwargs) -> requests.Response:
    return requests.post(f"{server.base_url}/chat/completions", json=body, timeout=5, **kwargs)


def test_it_answers_with_the_responder_when_the_script_is_empty():
    seen = []

    def responder(request_json: dict) -> str:
        seen.append(request_json["model"])
        return json.dumps({"echo": request_json["messages"][-1]["content"]})

    with FakeTeacherServer(responder=responder) as server:
        reply = post(server, {"model": "m", "messages": [{"role": "user", "content": "hi"}]}).json()

    assert seen == ["m"]
    assert json.loads(reply["choices"][0]["message"]["content"]) == {"echo": "hi"}
    assert reply["choices"][0]["finish_reason"] == "stop"
    assert reply["model"] == "m"
    assert set(reply["usage"]) == {"prompt_tokens", "completion_tokens"}


def test_it_plays_the_script_in_order_then_falls_back_to_the_responder(teacher_server):
    teacher_server.enqueue(Reply.error(429, headers={"Retry-After": "2"}), "scripted")
    body = {"model": "m", "messages": []}

    first, second, third = (post(teacher_server, body) for _ in range(3))

    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert second.json()["choices"][0]["message"]["content"] == "scripted"
    assert third.json()["choices"][0]["message"]["content"] == '{"ok": true}'


def test_it_logs_every_request_with_body_and_headers(teacher_server):
    post(teacher_server, {"model": "m", "messages": []}, headers={"Authorization": "Bearer k", "X-Run": "7"})
    requests.get(f"{teacher_server.base_url}/models", timeout=5)

    logged = teacher_server.requests
    assert [(r.method, r.path) for r in logged] == [("POST", "/v1/chat/completions"), ("GET", "/v1/models")]
    assert logged[0].json == {"model": "m", "messages": []}
    assert logged[0].header("x-run") == "7"
    assert len(teacher_server.chat_requests) == 1


def test_it_rejects_json_schema_like_stock_llama_cpp_python():
    with FakeTeacherServer(reject_json_schema=True) as server:
        rejected = post(server, {"model": "m", "messages": [], "response_format": {"type": "json_schema"}})
        accepted = post(server, {"model": "m", "messages": [], "response_format": {"type": "json_object"}})

    assert rejected.status_code == 500
    assert "Input should be 'text' or 'json_object'" in rejected.json()["error"]["message"]
    assert accepted.status_code == 200


def test_it_counts_the_most_requests_served_at_once():
    with FakeTeacherServer(latency=0.3) as server:
        threads = [threading.Thread(target=post, args=(server, {"model": "m", "messages": []})) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        # The handler leaves just after the client has its reply: give it a moment.
        deadline = time.monotonic() + 2
        while server.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)

        assert server.max_concurrent >= 2
        assert server.in_flight == 0
