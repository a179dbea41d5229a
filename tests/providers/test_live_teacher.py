"""Against a real OpenAI-compatible server (e.g. /work/shared/peers/local_teacher.sh).

Run with ALAIN_LIVE_TEACHER_URL=http://127.0.0.1:8077/v1; the stock llama-cpp-python server
(TEACHER_STOCK=1) exercises the fallback from json_schema. Asserts shape only, never facts.
"""

from __future__ import annotations

import json
import os

import pytest

from providers.base import STRUCTURED_MODES
from providers.http import HttpClient, RetryPolicy
from providers.local import LocalTeacher
from tests.providers.factories import make_request

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("ALAIN_LIVE_TEACHER_URL"), reason="ALAIN_LIVE_TEACHER_URL is not set"),
]

SCHEMA = {
    "type": "object",
    "properties": {"greeting": {"type": "string"}},
    "required": ["greeting"],
    "additionalProperties": False,
}


def test_a_real_local_teacher_returns_schema_shaped_json():
    teacher = LocalTeacher(
        model="teacher",
        base_url=os.environ["ALAIN_LIVE_TEACHER_URL"],
        http=HttpClient(policy=RetryPolicy(max_attempts=2, read_timeout=180)),
    )
    request = make_request(
        messages=[{"role": "user", "content": "Greet a new student in one short sentence, as JSON."}],
        schema=SCHEMA,
        schema_name="greeting",
        max_tokens=40,
        temperature=0,
    )

    completion = teacher.complete(request)

    assert completion.mode in STRUCTURED_MODES
    assert completion.attempts[-1].outcome == "ok"
    if completion.finish_reason != "length":
        assert isinstance(json.loads(completion.text)["greeting"], str)
