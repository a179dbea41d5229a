"""Noisy teacher: 30% of replies are malformed, truncated or break the schema; how many runs still succeed?

Faults are drawn from a seeded random generator, one draw per reply in the order the teacher
receives calls. Sections are written one at a time here so that order, and so every fault,
is the same from one benchmark to the next. Runs retry like production (ALAIN_JSON_MAX_ATTEMPTS,
validation errors fed back); no run is retried by hand.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from typing import Any

from bench.common import (
    SECTIONS,
    DemoResponder,
    Figure,
    Mode,
    PartResult,
    alain_settings,
    create_local_run,
    execute_timed,
    log,
    teacher_settings,
)

FAULT_RATE = 0.3
SEED = 20250
FAULTS = ("malformed", "truncated", "schema")


def noisy_teacher(*, rate: float, seed: int, responder: DemoResponder):
    """A FakeTeacherServer whose replies are broken at `rate`, in one of three ways."""
    from tests.fakes.teacher_server import FakeTeacherServer, Reply

    class NoisyTeacher(FakeTeacherServer):
        def __init__(self) -> None:
            super().__init__(responder=responder)
            self.random = random.Random(seed)
            self.faults: Counter[str] = Counter()
            self.replies = 0
            self._draw_lock = threading.Lock()

        def _next_reply(self, request_json: dict[str, Any]) -> Reply:
            good = super()._next_reply(request_json)
            with self._draw_lock:
                self.replies += 1
                if self.random.random() >= rate:
                    return good
                fault = self.random.choice(FAULTS)
                self.faults[fault] += 1
            return broken(good, fault)

    return NoisyTeacher()


def broken(reply: Any, fault: str) -> Any:
    """`reply` spoiled: not JSON at all, cut off at the token limit, or valid JSON missing a required field."""
    text = reply.content or ""
    if fault == "malformed":
        reply.content = "Sure! Here is the JSON you asked for: {" + text[:40]
    elif fault == "truncated":
        reply.content = text[: len(text) // 2]
        reply.finish_reason = "length"
    else:
        data = json.loads(text)
        data.pop(next(iter(data)))  # the first field of every reply schema is required
        reply.content = json.dumps(data)
    return reply


def run(mode: Mode) -> PartResult:
    from generation.models import RunStatus, TeacherCall

    runs = mode.pick(20, 2)
    result = PartResult("noisy teacher")
    teacher = noisy_teacher(rate=FAULT_RATE, seed=SEED, responder=DemoResponder(SECTIONS))
    finished = []
    # Nested on purpose: the teacher has its address only once started.
    with teacher, alain_settings(**teacher_settings(teacher.base_url, concurrency=1, section_concurrency=1)) as config:
        attempts = config["JSON_MAX_ATTEMPTS"]
        for _ in range(runs):
            done, _ = execute_timed(create_local_run(teacher.base_url).pk)
            finished.append(done)
    succeeded = [r for r in finished if r.status == RunStatus.SUCCEEDED]
    calls = TeacherCall.objects.filter(run__in=succeeded).count()
    first_pass = TeacherCall.objects.filter(run__in=finished, attempt=1)
    clean = first_pass.filter(outcome="ok").count() / max(1, first_pass.count())
    injected = sum(teacher.faults.values())
    log(f"noisy teacher: {len(succeeded)}/{runs} runs succeeded; faults {dict(teacher.faults)}")
    result.figures += [
        Figure(
            "noisy teacher",
            f"runs that succeed ({runs} runs, {FAULT_RATE:.0%} of replies broken, seed {SEED}, "
            f"{attempts} JSON attempts per call)",
            f"{len(succeeded)}/{runs} = {len(succeeded) / runs:.0%} "
            f"({injected} of {teacher.replies} replies broken: "
            + ", ".join(f"{teacher.faults[f]} {f}" for f in FAULTS)
            + ")",
        ),
        Figure(
            "noisy teacher",
            "teacher calls per successful run",
            (f"{calls / len(succeeded):.1f} (a clean run takes {SECTIONS + 2})" if succeeded else "no run succeeded")
            + f"; first-attempt calls ok: {clean:.0%}",
        ),
    ]
    outcomes = Counter(TeacherCall.objects.filter(run__in=finished).values_list("outcome", flat=True))
    result.details.append(
        "noisy teacher: call outcomes " + ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
    )
    failures = Counter((r.error_stage, r.error_kind) for r in finished if r.status != RunStatus.SUCCEEDED)
    for (stage, kind), count in sorted(failures.items()):
        result.details.append(f"noisy teacher: {count} run(s) failed in stage {stage} ({kind})")
    return result
