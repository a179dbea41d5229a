from __future__ import annotations

import pytest

from providers.http import redact
from providers.openai_compatible import OpenAICompatibleTeacher
from tests.providers.factories import SECRET_KEY


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {SECRET_KEY}",
        f"Incorrect API key provided: {SECRET_KEY}",
        "upstream said api_key=abc123def456 was refused",
        '{"x-api-key": "k-9f8e7d6c5b4a"}',
        "https://gateway.example.com/v1?access_token=tok_12345&x=1",
        "poe key Zq3xV9kL0pR7tY2uW5sA8dF1gH4jK6mN0bC was rejected",
    ],
)
def test_it_removes_anything_that_looks_like_a_key(text):
    redacted = redact(text)

    assert "[redacted]" in redacted
    for secret in (SECRET_KEY, "abc123def456", "k-9f8e7d6c5b4a", "tok_12345", "Zq3xV9kL0pR7tY2uW5sA8dF1gH4jK6mN0bC"):
        assert secret not in redacted


def test_it_removes_the_given_secret_even_when_it_looks_harmless():
    assert redact("the key is plainword", secrets=["plainword"]) == "the key is [redacted]"


def test_it_leaves_ordinary_error_text_alone():
    text = "HTTP 500: model 'teacher' is not loaded (retry in 2 s) at /v1/chat/completions"

    assert redact(text) == text


def test_a_teacher_hides_credentials_in_its_base_url():
    teacher = OpenAICompatibleTeacher(
        model="m", base_url=f"https://gateway.example.com/v1?api_key={SECRET_KEY}", api_key=SECRET_KEY
    )

    assert SECRET_KEY not in repr(teacher)
    assert SECRET_KEY not in str(teacher.describe())
