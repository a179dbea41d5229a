from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from providers.base import ProviderError
from providers.http import RetryPolicy, parse_retry_after
from tests.fakes.teacher_server import Reply
from tests.providers.factories import SECRET_KEY, make_client, make_request


def test_it_returns_the_reply_with_usage_and_one_attempt(teacher_server, sleeps):
    teacher_server.enqueue(Reply('{"title": "Tokenizers"}', prompt_tokens=42, completion_tokens=7))
    client = make_client(sleeps=sleeps)

    completion = client.complete(make_request(), provider_key="openai", base_url=teacher_server.base_url)

    assert completion.text == '{"title": "Tokenizers"}'
    assert completion.finish_reason == "stop"
    assert completion.model == "teacher-model"
    assert completion.mode == "text"
    assert (completion.prompt_tokens, completion.completion_tokens) == (42, 7)
    assert [(a.number, a.outcome, a.status) for a in completion.attempts] == [(1, "ok", 200)]
    assert completion.latency_ms >= 0
    assert sleeps == []


def test_it_sends_model_messages_limits_and_the_bearer_key(teacher_server):
    client = make_client()
    request = make_request(max_tokens=123, temperature=0.5, seed=11, frequency_penalty=0.3)

    client.complete(request, provider_key="openai", base_url=teacher_server.base_url, api_key=SECRET_KEY)

    (sent,) = teacher_server.chat_requests
    assert sent.path == "/v1/chat/completions"
    assert sent.header("authorization") == f"Bearer {SECRET_KEY}"
    assert sent.json["model"] == "teacher-model"
    assert sent.json["messages"] == request.messages
    assert (sent.json["max_tokens"], sent.json["temperature"], sent.json["seed"]) == (123, 0.5, 11)
    assert sent.json["frequency_penalty"] == 0.3
    assert "response_format" not in sent.json


def test_it_sends_no_authorization_header_without_a_key(teacher_server):
    make_client().complete(make_request(), provider_key="local", base_url=teacher_server.base_url)

    assert teacher_server.chat_requests[0].header("authorization") is None


def test_it_waits_as_long_as_retry_after_says_on_429(teacher_server, sleeps):
    teacher_server.enqueue(Reply.error(429, "slow down", headers={"Retry-After": "3"}), Reply('{"ok": 1}'))

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert sleeps == [3.0]
    assert [a.outcome for a in completion.attempts] == ["rate_limited", "ok"]
    assert completion.attempts[0].status == 429
    assert completion.attempts[0].retry_after == 3.0
    assert completion.text == '{"ok": 1}'


def test_it_honours_retry_after_on_503(teacher_server, sleeps):
    teacher_server.enqueue(Reply.error(503, "overloaded", headers={"Retry-After": "1.5"}), Reply("fine"))

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert sleeps == [1.5]
    assert [a.outcome for a in completion.attempts] == ["server_error", "ok"]


def test_it_reads_retry_after_as_seconds_or_an_http_date():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_it_stops_at_once_when_retry_after_is_too_long_for_a_worker(teacher_server, sleeps):
    teacher_server.enqueue(Reply.error(429, headers={"Retry-After": "3600"}), Reply("never used"))

    with pytest.raises(ProviderError) as caught:
        make_client(sleeps=sleeps, retry_after_max=60).complete(
            make_request(), provider_key="openai", base_url=teacher_server.base_url
        )

    assert caught.value.permanent is False
    assert caught.value.retry_after == 3600.0
    assert sleeps == []
    assert len(teacher_server.chat_requests) == 1


def test_it_retries_a_500_after_a_jittered_backoff(teacher_server, sleeps):
    teacher_server.enqueue(Reply.error(500, "CUDA out of memory"), Reply("recovered"))

    completion = make_client(sleeps=sleeps, backoff_base=2.0).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert completion.text == "recovered"
    assert [a.outcome for a in completion.attempts] == ["server_error", "ok"]
    assert len(sleeps) == 1
    assert 0.0 <= sleeps[0] <= 2.0


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter():
    class Highest(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)

    assert [policy.backoff(n, Highest()) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    waits = [policy.backoff(4, random.Random(seed)) for seed in range(50)]
    assert all(0.0 <= wait <= 8.0 for wait in waits)
    assert len(set(waits)) > 1


def test_it_retries_a_reply_slower_than_the_read_timeout(teacher_server, sleeps):
    teacher_server.enqueue(Reply("too late", delay=2.5), Reply("in time"))

    completion = make_client(sleeps=sleeps, read_timeout=1.0).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert completion.text == "in time"
    assert [a.outcome for a in completion.attempts] == ["timeout", "ok"]
    assert "timed out" in completion.attempts[0].error.lower()
    assert len(sleeps) == 1


def test_it_retries_a_dropped_connection(teacher_server, sleeps):
    teacher_server.enqueue(Reply(drop=True), Reply("after the drop"))

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert completion.text == "after the drop"
    assert [a.outcome for a in completion.attempts] == ["connection", "ok"]


def test_it_retries_a_body_that_is_not_json(teacher_server, sleeps):
    teacher_server.enqueue(Reply(malformed_body=True), Reply("proper"))

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert completion.text == "proper"
    assert [a.outcome for a in completion.attempts] == ["bad_reply", "ok"]
    assert "not JSON" in completion.attempts[0].error


@pytest.mark.parametrize("content", ["", "   ", None], ids=["empty", "blank", "missing"])
def test_it_retries_a_reply_without_content(teacher_server, sleeps, content):
    teacher_server.enqueue(Reply(content), Reply("something"))

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert completion.text == "something"
    assert [a.outcome for a in completion.attempts] == ["bad_reply", "ok"]


def test_it_returns_a_reply_cut_off_at_the_token_limit_as_it_is(teacher_server, sleeps):
    teacher_server.enqueue(Reply('{"title": "Tokeni', finish_reason="length"))

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    # Not an HTTP failure and never repaired: the caller decides what a truncated reply means.
    assert completion.finish_reason == "length"
    assert completion.text == '{"title": "Tokeni'
    assert [a.outcome for a in completion.attempts] == ["ok"]
    assert sleeps == []


def test_it_raises_a_transient_error_with_every_attempt_when_attempts_run_out(teacher_server, sleeps):
    teacher_server.enqueue(Reply.error(503), Reply(drop=True), Reply.error(502), Reply("too late"))

    with pytest.raises(ProviderError) as caught:
        make_client(sleeps=sleeps, max_attempts=3).complete(
            make_request(), provider_key="openai", base_url=teacher_server.base_url
        )

    error = caught.value
    assert error.permanent is False
    assert [(a.number, a.outcome) for a in error.attempts] == [
        (1, "server_error"),
        (2, "connection"),
        (3, "server_error"),
    ]
    assert "failed 3 times" in error.message
    assert "HTTP 502" in error.message
    assert len(sleeps) == 2
    assert teacher_server.pending == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_permanent_and_not_retried(teacher_server, sleeps, status):
    teacher_server.enqueue(Reply.error(status, "no"), Reply("never used"))

    with pytest.raises(ProviderError) as caught:
        make_client(sleeps=sleeps).complete(make_request(), provider_key="openai", base_url=teacher_server.base_url)

    assert caught.value.permanent is True
    assert [(a.outcome, a.status) for a in caught.value.attempts] == [("client_error", status)]
    assert f"HTTP {status}" in caught.value.message
    assert sleeps == []
    assert len(teacher_server.chat_requests) == 1


def test_a_401_with_the_key_in_the_body_never_shows_the_key(teacher_server):
    teacher_server.enqueue(Reply.error(401, f"Incorrect API key provided: {SECRET_KEY}. Bearer {SECRET_KEY}"))

    with pytest.raises(ProviderError) as caught:
        make_client().complete(
            make_request(), provider_key="openai", base_url=teacher_server.base_url, api_key=SECRET_KEY
        )

    assert SECRET_KEY not in str(caught.value)
    assert SECRET_KEY not in repr(caught.value)
    assert all(SECRET_KEY not in attempt.error for attempt in caught.value.attempts)
    assert "[redacted]" in caught.value.message


def test_an_unreachable_server_is_a_transient_connection_failure(sleeps):
    from tests.fakes.teacher_server import FakeTeacherServer

    with FakeTeacherServer() as server:
        base_url = server.base_url  # the port is free again once the server stops

    with pytest.raises(ProviderError) as caught:
        make_client(sleeps=sleeps, max_attempts=2).complete(make_request(), provider_key="openai", base_url=base_url)

    assert caught.value.permanent is False
    assert [a.outcome for a in caught.value.attempts] == ["connection", "connection"]


def test_the_policy_reads_the_alain_settings():
    policy = RetryPolicy.from_settings(
        {
            "HTTP_MAX_ATTEMPTS": 6,
            "HTTP_TIMEOUT_SECONDS": 42.0,
            "HTTP_BACKOFF_BASE_SECONDS": 0.5,
            "HTTP_BACKOFF_MAX_SECONDS": 9.0,
        }
    )

    assert (policy.max_attempts, policy.read_timeout, policy.backoff_base, policy.backoff_max) == (6, 42.0, 0.5, 9.0)


def test_it_sends_through_the_proxy_the_environment_names_and_reads_it_once(teacher_server, sleeps, monkeypatch):
    # The fake teacher plays the proxy: a proxied request names the whole URL in its request line.
    proxy = teacher_server.base_url.removesuffix("/v1")
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = make_client(sleeps=sleeps)

    client.complete(make_request(), provider_key="openai", base_url="http://teacher.invalid/v1")
    # Read once per URL: a proxy set afterwards is not seen by this client (a new run's client sees it).
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    client.complete(make_request(), provider_key="openai", base_url="http://teacher.invalid/v1")

    assert [sent.path for sent in teacher_server.chat_requests] == ["http://teacher.invalid/v1/chat/completions"] * 2


def test_a_host_in_no_proxy_is_reached_directly(teacher_server, sleeps, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    completion = make_client(sleeps=sleeps).complete(
        make_request(), provider_key="openai", base_url=teacher_server.base_url
    )

    assert completion.text
    assert teacher_server.chat_requests[0].path == "/v1/chat/completions"
