"""The demo teacher itself: answers the outline and section stages offline, deterministically."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from pydantic import ValidationError

from prompts.specs import PLAN_FIELDS, WRAPUP_FIELDS
from prompts.tokens import count_tokens
from providers.base import Attempt, Completion, CompletionRequest, ProbeResult, ProviderError, Teacher
from providers.demo.outline import demo_outline
from providers.demo.sections import demo_section

# A repair is answered like a first try: the demo's replies are valid, so the same one fits.
SECTION_STAGES = ("section", "section_repair")


class DemoTeacher(Teacher):
    key: ClassVar[str] = "demo"
    label: ClassVar[str] = "Demo (offline, deterministic)"
    is_demo: ClassVar[bool] = True
    default_model: ClassVar[str] = "demo"

    def __init__(
        self, *, model: str = "demo", base_url: str = "", api_key: str = "", context_tokens: int = 32768
    ) -> None:
        super().__init__(model=model or "demo", base_url=base_url, api_key=api_key, context_tokens=context_tokens)

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        context = request.context
        try:
            if request.stage == "outline":
                # The outline stage asks for the plan, the wrap-up stage for the closing parts:
                # both are cut from the same deterministic outline.
                reply: dict[str, Any] = _pick(demo_outline(context=context), PLAN_FIELDS)
            elif request.stage == "wrapup":
                reply = _pick(demo_outline(context=context), WRAPUP_FIELDS)
            elif request.stage in SECTION_STAGES:
                reply = demo_section(context=context)
            else:
                raise ProviderError(f"The demo teacher cannot answer stage {request.stage!r}.", permanent=True)
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as exc:
            # Retrying the same context gives the same failure: permanent.
            raise ProviderError(f"The demo teacher could not build a reply: {exc}", permanent=True) from None
        text = json.dumps(reply, ensure_ascii=False)
        latency_ms = int((time.perf_counter() - started) * 1000)
        prompt = "\n".join(str(message.get("content", "")) for message in request.messages)
        return Completion(
            text=text,
            finish_reason="stop",
            model=self.model,
            mode="json_schema",
            latency_ms=latency_ms,
            prompt_tokens=count_tokens(prompt),
            completion_tokens=count_tokens(text),
            attempts=[Attempt(number=1, mode="json_schema", outcome="ok", latency_ms=latency_ms)],
        )

    def probe(self) -> ProbeResult:
        return ProbeResult(ok=True, message="The demo teacher answers offline.", latency_ms=0, models=(self.model,))


def _pick(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: data[field] for field in fields}
