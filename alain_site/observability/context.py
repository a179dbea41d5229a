"""What a log line is about: the request, the run (tutorial id) and the stage, carried in contextvars.

The web request sets `request_id`; the runner sets `tutorial_id` and `stage`; a task carries the
request id of the request that queued it. Teacher calls run in pool threads, which get a copy of
the context (`generation.pipeline.pool`), so their lines name the run too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("request_id", "tutorial_id", "stage")
_vars: dict[str, ContextVar[str]] = {name: ContextVar(name, default="") for name in FIELDS}
# A request id a client may choose: short, and nothing that could forge a log line.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current() -> dict[str, str]:
    """The fields that are set, for a log line or a task's arguments."""
    return {name: value for name, var in _vars.items() if (value := var.get())}


def get(name: str) -> str:
    return _vars[name].get()


@contextmanager
def bound(**fields: str) -> Iterator[None]:
    """Set some fields for the duration of the block (nested blocks restore the outer values)."""
    tokens = [(_vars[name], _vars[name].set(value or "")) for name, value in fields.items() if name in _vars]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_stage(stage: str) -> None:
    """The runner moves from stage to stage inside one `bound(tutorial_id=...)` block."""
    _vars["stage"].set(stage)


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is a safe token, else a new one."""
    if header and _CLIENT_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex
