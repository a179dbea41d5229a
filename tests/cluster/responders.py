"""A fake teacher's answers for whole runs: valid JSON written by the demo teacher.

A copy of `DemoResponder` from tests/generation/pipeline/test_teacher_faults.py, for runs of
`MAX_SECTIONS` steps, with switches to make one step's replies invalid.
"""

from __future__ import annotations

import json
import re
import threading

from generation.pipeline.research.snapshot import CardQuality, Condensation, ResearchSnapshot
from providers.base import CompletionRequest
from providers.demo import DemoTeacher
from tests.generation.factories import SAMPLE_CARD

MAX_SECTIONS = 3
SUBJECT = "tiny test model"
CARD_TEXT = SAMPLE_CARD

RESEARCH = ResearchSnapshot(
    source_kind="text",
    mode="standard",
    subject=SUBJECT,
    pipeline_tag="text-generation",
    license="apache-2.0",
    card_text="# Tiny Test Model\n\nA small model.",
    condensation=Condensation(method="none", original_tokens=8, kept_tokens=8),
    quality=CardQuality(score=50, thin=False),
)

_STEP = re.compile(r"Write Step (\d+):")


def demo_reply(stage: str, **context) -> str:
    request = CompletionRequest(
        messages=[],
        model="demo",
        max_tokens=100,
        stage=stage,
        context={
            "research": RESEARCH.model_dump(mode="json"),
            "difficulty": "beginner",
            "language": "en",
            "max_sections": MAX_SECTIONS,
            **context,
        },
    )
    return DemoTeacher(model="demo").complete(request).text


def request_kind(body: dict) -> tuple[str, int | None]:
    """("outline" | "wrapup" | "section", the 0-based step index for a section)."""
    name = (body.get("response_format") or {}).get("json_schema", {}).get("name")
    if name in ("outline", "wrapup"):
        return name, None
    text = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
    match = _STEP.search(text)
    return "section", (int(match.group(1)) - 1 if match else None)


class DemoResponder:
    """Answers like a good teacher; `broken_steps` (0-based) get invalid JSON until cleared."""

    def __init__(self) -> None:
        self.outline = demo_reply("outline")
        self.wrapup = demo_reply("wrapup", outline=json.loads(self.outline))
        self._sections = {
            index: demo_reply("section", outline=json.loads(self.outline), section_index=index)
            for index in range(MAX_SECTIONS)
        }
        self.broken_steps: set[int] = set()
        self._lock = threading.Lock()
        self.asked: list[tuple[str, int | None]] = []

    def __call__(self, body: dict) -> str:
        kind, index = request_kind(body)
        with self._lock:
            self.asked.append((kind, index))
        if kind == "outline":
            return self.outline
        if kind == "wrapup":
            return self.wrapup
        if index in self.broken_steps:
            return "{this is not json"
        return self._sections[index]
