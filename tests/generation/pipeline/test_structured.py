import json

import pytest
from pydantic import ValidationError

from generation.pipeline.structured import StructuredCallFailed, parse_json_reply, request_structured
from prompts.specs import SectionSpec, section_schema
from providers.base import Attempt, Completion, ProviderError, Teacher

GOOD = {
    "title": "Send a first request",
    "explanation": "We send one chat message to the model and print its reply.",
    "prerequisites": ["The client from the configuration step"],
    "code": [{"intro": "Ask a question.", "code": "reply = ask('What is 2 + 2?')\nprint(reply)"}],
    "callouts": [{"kind": "tip", "text": "Keep prompts short while exploring."}],
    "takeaway": "One call to ask() sends one message.",
}


class ScriptedTeacher(Teacher):
    """Replies from a script: each item is (text, finish_reason) or a ProviderError."""

    key = "scripted"

    def __init__(self, script):
        super().__init__(model="scripted-model")
        self.script = list(script)
        self.requests = []

    def complete(self, request):
        self.requests.append(request)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        text, finish = item
        return Completion(
            text=text,
            finish_reason=finish,
            model=self.model,
            mode="json_schema",
            latency_ms=5,
            prompt_tokens=10,
            completion_tokens=20,
            attempts=[Attempt(number=1, mode="json_schema", outcome="ok", latency_ms=5, status=200)],
        )


def ask(teacher, attempts=3, salvage=None):
    return request_structured(
        teacher=teacher,
        spec=SectionSpec,
        schema=section_schema(),
        messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
        stage="section",
        section_index=0,
        max_tokens=100,
        max_attempts=attempts,
        salvage=salvage,
    )


def test_a_valid_reply_passes_on_the_first_attempt():
    result = ask(ScriptedTeacher([(json.dumps(GOOD), "stop")]))
    assert result.value.title == "Send a first request"
    [call] = result.calls
    assert (call.outcome, call.json_parsed, call.json_repaired, call.schema_valid) == ("ok", True, False, True)


def test_it_feeds_validation_errors_back_on_retry():
    bad = {**GOOD, "code": []}
    teacher = ScriptedTeacher([(json.dumps(bad), "stop"), (json.dumps(GOOD), "stop")])
    result = ask(teacher)
    assert [c.outcome for c in result.calls] == ["schema_invalid", "ok"]
    retry_messages = teacher.requests[1].messages
    assert [m["role"] for m in retry_messages] == ["system", "user"]
    retry = retry_messages[-1]["content"]
    assert "code" in retry and "does not match the schema" in retry
    assert retry.endswith("u"), "the original request stays last"
    assert json.dumps(bad) not in retry_messages[-1]["content"], "the rejected reply is not sent back"


def test_the_conversation_stays_bounded_across_retries():
    bad = json.dumps({**GOOD, "code": []})
    teacher = ScriptedTeacher([(bad, "stop"), (bad, "stop"), (json.dumps(GOOD), "stop")])
    ask(teacher)
    assert len(teacher.requests[1].messages) == len(teacher.requests[2].messages) == 2
    assert teacher.requests[2].messages[-1]["content"].count("rejected") == 1, "reasons are not piled up"


def test_recoverable_syntax_is_repaired_and_recorded():
    text = "```json\n" + json.dumps(GOOD)[:-1] + ",}\n```"
    result = ask(ScriptedTeacher([(text, "stop")]))
    [call] = result.calls
    assert (call.json_parsed, call.json_repaired, call.schema_valid) == (False, True, True)


def test_a_truncated_reply_is_retried_never_repaired():
    cut = json.dumps(GOOD)[:80]
    teacher = ScriptedTeacher([(cut, "length"), (json.dumps(GOOD), "stop")])
    result = ask(teacher)
    assert [c.outcome for c in result.calls] == ["truncated", "ok"]
    assert result.calls[0].json_repaired is False
    assert "cut off" in teacher.requests[1].messages[-1]["content"]


def test_garbage_is_an_invalid_json_attempt():
    teacher = ScriptedTeacher([("I cannot do that.", "stop"), (json.dumps(GOOD), "stop")])
    result = ask(teacher)
    assert [c.outcome for c in result.calls] == ["invalid_json", "ok"]


def test_it_gives_up_after_the_bounded_attempts_and_says_why():
    bad = json.dumps({**GOOD, "takeaway": "TODO"})
    with pytest.raises(StructuredCallFailed, match=r"(?s)no valid section in 2 attempts.*placeholder") as info:
        ask(ScriptedTeacher([(bad, "stop"), (bad, "stop")]), attempts=2)
    assert [c.outcome for c in info.value.calls] == ["schema_invalid", "schema_invalid"]
    assert info.value.stage == "section"


def test_a_provider_failure_ends_the_stage_with_its_attempts_recorded():
    attempts = [Attempt(number=n, mode="json_schema", outcome="server_error", latency_ms=3, status=500) for n in (1, 2)]
    error = ProviderError("HTTP 500 after 2 attempts", permanent=False, attempts=attempts)
    with pytest.raises(StructuredCallFailed, match="HTTP 500") as info:
        ask(ScriptedTeacher([error]))
    [call] = info.value.calls
    assert call.outcome == "provider_error"
    assert [a["status"] for a in call.http_attempts] == [500, 500]


@pytest.mark.parametrize("text", ["", "   ", "null", "[1, 2]", "nothing here"])
def test_parse_refuses_what_is_not_an_object(text):
    with pytest.raises(ValueError, match="not a JSON object"):
        parse_json_reply(text)


def test_each_attempt_keeps_the_exchange_for_the_audit_trail():
    bad = json.dumps({**GOOD, "code": []})
    result = ask(ScriptedTeacher([(bad, "stop"), (json.dumps(GOOD), "stop")]))
    first, second = result.calls
    assert first.response_text == bad
    assert [m["role"] for m in first.request_messages] == ["system", "user"]
    assert [m["role"] for m in second.request_messages] == ["system", "user"]
    assert "rejected" in second.request_messages[1]["content"]


def test_each_attempt_uses_a_new_seed_and_a_frequency_penalty():
    bad = json.dumps({**GOOD, "code": []})
    teacher = ScriptedTeacher([(bad, "stop"), (json.dumps(GOOD), "stop")])
    ask(teacher)
    assert [r.seed for r in teacher.requests] == [7, 8]
    assert all(r.frequency_penalty == 0.5 for r in teacher.requests)


def test_retries_sample_warmer_up_to_a_ceiling():
    bad = json.dumps({**GOOD, "code": []})
    teacher = ScriptedTeacher([(bad, "stop")] * 4 + [(json.dumps(GOOD), "stop")])
    ask(teacher, attempts=5)
    assert [r.temperature for r in teacher.requests] == [0.2, 0.45, 0.7, 0.9, 0.9]


def test_the_card_can_be_left_out_of_section_prompts(settings):
    from generation.pipeline.research.snapshot import CardQuality, Condensation, ResearchSnapshot
    from generation.pipeline.sections import NO_CARD, section_card_excerpt

    research = ResearchSnapshot(
        source_kind="text",
        mode="standard",
        subject="tiny",
        card_text="# Tiny\n\nA tiny model that answers questions about cats.\n",
        condensation=Condensation(method="none", original_tokens=9, kept_tokens=9),
        quality=CardQuality(score=40, thin=True),
    )
    assert "answers questions about cats" in section_card_excerpt(research)
    settings.ALAIN = {**settings.ALAIN, "SECTION_CARD_TOKENS": 0}
    assert section_card_excerpt(research) == NO_CARD


def ask_section(teacher, attempts=2):
    from generation.pipeline.sections import salvage_section

    return ask(teacher, attempts=attempts, salvage=salvage_section)


def test_a_broken_code_block_is_dropped_when_a_good_one_remains():
    broken = {"intro": "Copied from the card.", "code": "print(tokenizer.decode(ids[0]"}
    reply = {**GOOD, "code": [*GOOD["code"], broken], "callouts": [{"kind": "hint", "text": "Not a kind."}]}
    teacher = ScriptedTeacher([(json.dumps(reply), "stop")])
    result = ask_section(teacher)
    [call] = result.calls
    assert call.outcome == "salvaged" and call.schema_valid
    assert "code block 2 (code does not parse" in call.error and "callout 1" in call.error
    assert [block.code for block in result.value.code] == [GOOD["code"][0]["code"]]
    assert result.value.callouts == [] and result.raw["code"] == GOOD["code"]
    assert len(teacher.requests) == 1, "no second call was needed"


def test_salvage_never_keeps_a_section_without_valid_code_or_with_other_faults():
    only_broken = {**GOOD, "code": [{"intro": "Broken.", "code": "print((1"}]}
    wrong_title = {**GOOD, "title": "x", "code": [*GOOD["code"], {"intro": "Broken.", "code": "print((1"}]}
    teacher = ScriptedTeacher([(json.dumps(only_broken), "stop"), (json.dumps(wrong_title), "stop")])
    with pytest.raises(StructuredCallFailed) as failed:
        ask_section(teacher)
    assert [c.outcome for c in failed.value.calls] == ["schema_invalid", "schema_invalid"]
    assert all(not c.schema_valid for c in failed.value.calls)


def test_section_prompts_carry_the_card_without_its_code():
    from generation.pipeline.research.condense import CODE_OMITTED, card_headings, without_code_blocks

    card = (
        "# Tiny\n\nA model.\n\n## Quickstart\n\n```python\nfrom transformers import X\n# Not a heading\n```\n\nDone.\n"
    )
    stripped = without_code_blocks(card)
    assert "transformers" not in stripped and CODE_OMITTED in stripped and "Done." in stripped
    assert card_headings(card) == ["Tiny", "Quickstart"]


def test_repeated_code_blocks_are_refused_and_salvaged_to_the_first():
    block = {"intro": "Print a fact.", "code": "print('Qwen3 switches modes')"}
    reply = {**GOOD, "code": [block, {**block, "intro": "Again."}, {**block, "code": "print('Qwen3  switches modes')"}]}
    with pytest.raises(ValidationError, match="repeat each other"):
        SectionSpec.model_validate(reply)
    result = ask_section(ScriptedTeacher([(json.dumps(reply), "stop")]))
    [call] = result.calls
    assert call.outcome == "salvaged" and "code block 2 (a repeat" in call.error and "code block 3" in call.error
    assert [b.code for b in result.value.code] == [block["code"]]
