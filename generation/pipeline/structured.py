"""Ask a teacher for JSON that must validate against a spec, with bounded, informed retries.

Every reply is judged the same way: a truncated reply (`finish_reason == "length"`) is a failed
attempt and is never repaired; otherwise strict `json.loads`, then a deterministic repair for
recoverable syntax (code fences, trailing commas, quotes), then validation against the spec.
A failed attempt is retried with the reasons it was rejected; the rejected reply itself is not
sent back: small teachers copy it, mistakes included, and leaving it out keeps the context
bounded.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import json_repair
from pydantic import BaseModel, ValidationError

from generation.pipeline.errors import TeacherError
from providers.base import Completion, CompletionRequest, ProviderError, Teacher

SpecT = TypeVar("SpecT", bound=BaseModel)
# Given a reply's data that failed validation, return reduced data and a note saying what was
# dropped, or None when nothing can be salvaged. Salvage only ever removes parts; it never
# invents content (see generation.pipeline.sections.salvage_section).
Salvage = Callable[[dict[str, Any]], "tuple[dict[str, Any], str] | None"]
logger = logging.getLogger(__name__)

BASE_SEED = 7
# Small teachers loop ("Context Length: 32,768" forty times) until the token limit; a mild
# frequency penalty breaks such loops without hurting normal prose.
FREQUENCY_PENALTY = 0.5
# Temperature of the first attempt, raised on each retry. Near-greedy sampling replays the same
# mistake whatever the seed (seen: a 0.5B teacher sent the identical invalid reply on attempts
# 1, 3 and 4 at 0.2); a warmer retry leaves that groove.
BASE_TEMPERATURE = 0.2
RETRY_TEMPERATURE_STEP = 0.25
MAX_TEMPERATURE = 0.9
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


@dataclass
class CallRecord:
    """What a `TeacherCall` row stores; built in worker threads, saved by the caller."""

    stage: str
    section_index: int | None
    attempt: int
    provider: str
    model: str
    structured_mode: str = ""
    outcome: str = ""
    finish_reason: str = ""
    json_parsed: bool = False
    json_repaired: bool = False
    schema_valid: bool = False
    latency_ms: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    http_attempts: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    request_messages: list[dict[str, str]] = field(default_factory=list)
    response_text: str = ""


@dataclass
class StructuredResult:
    value: BaseModel
    raw: dict[str, Any]
    calls: list[CallRecord]


class StructuredCallFailed(TeacherError):
    """No valid reply within the attempts; carries the call records for the audit trail."""

    def __init__(self, message: str, *, stage: str, calls: list[CallRecord]) -> None:
        super().__init__(message, stage=stage)
        self.calls = calls


def temperature_for(attempt: int) -> float:
    """Sampling temperature of the n-th attempt (1-based) at a valid reply."""
    return round(min(MAX_TEMPERATURE, BASE_TEMPERATURE + RETRY_TEMPERATURE_STEP * (attempt - 1)), 2)


def parse_json_reply(text: str) -> tuple[Any, bool]:
    """Parse a reply as JSON: strictly first, then with deterministic repair.

    Returns (value, repaired). Raises ValueError when nothing object-like can be recovered
    (json-repair returns '' for garbage instead of raising, so the result is checked).
    """
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        pass
    else:
        if not isinstance(value, dict):
            raise ValueError("the reply is not a JSON object (it is JSON of another type)")
        return value, False
    candidate = text
    if match := _FENCE.match(text):
        candidate = match.group(1)
    repaired = json_repair.loads(candidate)
    if not isinstance(repaired, dict) or not repaired:
        raise ValueError("the reply is not a JSON object")
    return repaired, True


def _validation_feedback(exc: ValidationError, limit: int = 12) -> str:
    lines = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"- {where}: {error['msg']}")
    if len(exc.errors()) > limit:
        lines.append(f"- ... and {len(exc.errors()) - limit} more errors")
    return "\n".join(lines)


def request_structured(
    *,
    teacher: Teacher,
    spec: type[SpecT],
    schema: dict[str, Any],
    messages: list[dict[str, str]],
    stage: str,
    max_tokens: int,
    max_attempts: int,
    seed_base: int = BASE_SEED,
    section_index: int | None = None,
    context: dict[str, Any] | None = None,
    schema_name: str | None = None,
    validation_context: dict[str, Any] | None = None,
    on_call: Callable[[CallRecord], None] | None = None,
    check_cancelled: Callable[[], None] | None = None,
    salvage: Salvage | None = None,
) -> StructuredResult:
    """Return a reply validated by `spec`, or raise StructuredCallFailed saying why."""
    calls: list[CallRecord] = []
    conversation = list(messages)
    last_problem = ""
    for attempt in range(1, max_attempts + 1):
        if check_cancelled:
            check_cancelled()
        record = CallRecord(
            stage=stage,
            section_index=section_index,
            attempt=attempt,
            provider=teacher.key,
            model=teacher.model,
            request_messages=conversation,
        )
        request = CompletionRequest(
            messages=conversation,
            model=teacher.model,
            max_tokens=max_tokens,
            temperature=temperature_for(attempt),
            # A new seed per attempt: the same seed tends to replay the same mistake (and a
            # retried run starts from another seed_base, see generation.pipeline.stages).
            seed=seed_base + attempt - 1,
            frequency_penalty=FREQUENCY_PENALTY,
            schema=schema,
            schema_name=schema_name or spec.__name__,
            stage=stage,
            context=context or {},
        )
        try:
            completion = teacher.complete(request)
        except ProviderError as exc:
            record.outcome = "provider_error"
            record.error = exc.message
            record.http_attempts = [asdict(a) for a in exc.attempts]
            record.latency_ms = sum(a.latency_ms for a in exc.attempts)
            _finish(record, calls, on_call)
            # The HTTP client already retried transient failures; what reaches here ends the stage.
            raise StructuredCallFailed(
                f"The teacher failed during {stage}: {exc.message}", stage=stage, calls=calls
            ) from None
        _fill_from_completion(record, completion)
        problem, value, raw = _judge(completion, spec, record, validation_context, salvage)
        _finish(record, calls, on_call)
        if value is not None:
            return StructuredResult(value=value, raw=raw, calls=calls)
        last_problem = problem
        # The reasons go before the original request, so the task stays the last thing the
        # teacher reads (after a trailing "rejected" note, small teachers lost track of it).
        ask = messages[-1]
        conversation = [
            *messages[:-1],
            {
                "role": ask["role"],
                "content": f"A previous reply to this request was rejected. {problem}\n"
                "Write a new, complete reply.\n\n" + ask["content"],
            },
        ]
    raise StructuredCallFailed(
        f"The teacher gave no valid {stage} in {max_attempts} attempts; last problem: {last_problem}",
        stage=stage,
        calls=calls,
    )


def _fill_from_completion(record: CallRecord, completion: Completion) -> None:
    record.structured_mode = completion.mode
    record.finish_reason = completion.finish_reason or ""
    record.latency_ms = completion.latency_ms
    record.prompt_tokens = completion.prompt_tokens
    record.completion_tokens = completion.completion_tokens
    record.http_attempts = [asdict(a) for a in completion.attempts]
    record.response_text = completion.text


def _judge(
    completion: Completion,
    spec: type[SpecT],
    record: CallRecord,
    validation_context: dict[str, Any] | None,
    salvage: Salvage | None = None,
) -> tuple[str, SpecT | None, dict[str, Any]]:
    if completion.finish_reason == "length":
        # A cut-off reply may repair into valid-looking JSON that silently lost content.
        record.outcome = "truncated"
        record.error = "reply cut off at the token limit"
        return "Your reply was cut off at the token limit. Write shorter texts so the whole JSON fits.", None, {}
    try:
        data, repaired = parse_json_reply(completion.text)
    except ValueError as exc:
        record.outcome = "invalid_json"
        record.error = str(exc)
        return "Your reply was not valid JSON.", None, {}
    record.json_parsed = not repaired
    record.json_repaired = repaired
    try:
        value = spec.model_validate(data, context=validation_context)
    except ValidationError as exc:
        record.outcome = "schema_invalid"
        details = _validation_feedback(exc)
        record.error = details
        salvaged = salvage(data) if salvage is not None else None
        if salvaged is not None:
            reduced, note = salvaged
            try:
                value = spec.model_validate(reduced, context=validation_context)
            except ValidationError:
                pass
            else:
                record.schema_valid = True
                record.outcome = "salvaged"
                record.error = f"accepted after {note}; the reply's errors were:\n{details}"
                return "", value, reduced
        return f"Your JSON does not match the schema:\n{details}", None, {}
    record.schema_valid = True
    record.outcome = "ok"
    return "", value, data


def _finish(record: CallRecord, calls: list[CallRecord], on_call: Callable[[CallRecord], None] | None) -> None:
    level = logging.INFO if record.outcome in ("ok", "salvaged") else logging.WARNING
    where = record.stage + (f" {record.section_index + 1}" if record.section_index is not None else "")
    logger.log(
        level,
        "teacher reply for %s attempt %d: %s (%d ms, %s tokens)%s",
        where,
        record.attempt,
        record.outcome,
        record.latency_ms,
        record.completion_tokens,
        f": {record.error.splitlines()[0][:200]}" if record.error else "",
    )
    calls.append(record)
    if on_call:
        on_call(record)
