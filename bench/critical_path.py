"""Critical path: a run's wall time against its teacher calls, concurrent and sequential.

A fake teacher answers every call after a fixed latency. A run's critical path is its outline
call plus its slowest section call (the wrap-up is written beside the sections), so with a
fixed latency it is 2 x latency; everything above that is ALAIN's own time or calls that
waited for a slot. The sequential baseline writes sections one after the other, as the
original ALAIN does on remote providers.
"""

from __future__ import annotations

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
    median,
    teacher_settings,
)

RATIO_GOAL = 1.15


def run(mode: Mode) -> PartResult:
    from generation.models import RunStatus
    from tests.fakes.teacher_server import FakeTeacherServer

    latency = mode.pick(1.0, 0.05)
    repeats = mode.pick(3, 1)
    result = PartResult("critical path")
    critical = 2 * latency
    with FakeTeacherServer(responder=DemoResponder(SECTIONS)) as server:
        # Every section and the wrap-up at once: the cap and the pool never make a call wait.
        wide = teacher_settings(server.base_url, concurrency=SECTIONS + 1, section_concurrency=SECTIONS + 1)
        narrow = teacher_settings(server.base_url, concurrency=1, section_concurrency=1)
        with alain_settings(**wide):
            # The first run in a process pays for imports and caches; it is not measured.
            execute_timed(create_local_run(server.base_url).pk)
            server.latency = latency
            walls = []
            for n in range(repeats):
                finished, seconds = execute_timed(create_local_run(server.base_url).pk)
                if finished.status != RunStatus.SUCCEEDED:
                    raise RuntimeError(f"the concurrent run failed: {finished.error_message}")
                walls.append(seconds)
                log(f"critical path: concurrent run {n + 1}/{repeats} in {seconds:.2f} s")
            concurrent_calls = server.max_concurrent
            recorded = recorded_critical_path(finished)
        with alain_settings(**narrow):
            server.reset()
            finished, sequential = execute_timed(create_local_run(server.base_url).pk)
            if finished.status != RunStatus.SUCCEEDED:
                raise RuntimeError(f"the sequential run failed: {finished.error_message}")
            log(f"critical path: sequential run in {sequential:.2f} s")
    wall = median(walls)
    ratio = wall / critical
    setup = f"{SECTIONS} sections + wrap-up, {latency:g} s per call, execution off"
    result.figures += [
        Figure(
            "critical path",
            f"wall to a validated notebook, concurrent (median of {repeats}; {setup})",
            f"{wall:.2f} s = {ratio:.2f} x critical path {critical:.2f} s",
            goal=f"ratio <= {RATIO_GOAL}",
            met=ratio <= RATIO_GOAL,
        ),
        Figure(
            "critical path",
            "sequential baseline (SECTION_CONCURRENCY=1, LOCAL_CONCURRENCY=1)",
            f"{sequential:.2f} s = {sequential / critical:.2f} x critical path; concurrent is "
            f"{sequential / wall:.1f} x faster",
        ),
    ]
    result.details += [
        f"critical path: the teacher saw at most {concurrent_calls} calls at once in the concurrent runs "
        f"(outline, then {SECTIONS} sections and the wrap-up together)",
        f"critical path: as ALAIN recorded the last concurrent run's calls (HTTP client included): {recorded}",
    ]
    return result


def recorded_critical_path(run) -> str:
    """The outline call plus the slowest section or wrap-up call, from the run's TeacherCall rows."""
    from django.db.models import Max

    calls = run.teacher_calls.all()
    outline = calls.filter(stage="outline").aggregate(ms=Max("latency_ms"))["ms"] or 0
    slowest = calls.exclude(stage="outline").aggregate(ms=Max("latency_ms"))["ms"] or 0
    return f"outline {outline} ms + slowest section {slowest} ms = {outline + slowest} ms"
