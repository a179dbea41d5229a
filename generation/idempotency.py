"""`Idempotency-Key`: the same key and request queue one run, however often they are sent.

A client that lost the answer to `POST /api/generate/notebook` (a timeout, a crash) sends the
same request with the same key again and gets the run it already made. The same key with a
different request is refused: reusing a key for new work is a client bug that would otherwise
silently drop that work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from generation.models import IdempotencyKey, Run

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(ValueError):
    """The key was used before for a different request."""


def request_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _earlier(user: Any, key: str, digest: str) -> Run | None:
    record = IdempotencyKey.objects.select_related("run").filter(user=user, key=key).first()
    if record is None:
        return None
    if record.request_sha256 != digest:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key {key!r} was already used for a different request (run {record.run.tutorial_id}); "
            "use a new key for new work."
        )
    return record.run


def queue_once(*, user: Any, key: str, payload: dict[str, Any], create: Callable[[], Run]) -> tuple[Run, bool]:
    """The run for (user, key): the earlier one (True) or a new one from `create()` (False).

    The run and the key are written in one transaction; when two requests with the same key race,
    the unique constraint lets one win and the other returns the winner's run.
    """
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters")
    digest = request_digest(payload)
    if (run := _earlier(user, key, digest)) is not None:
        return run, True
    try:
        with transaction.atomic():
            run = create()
            IdempotencyKey.objects.create(user=user, key=key, request_sha256=digest, run=run)
    except IntegrityError:
        if (run := _earlier(user, key, digest)) is None:
            raise
        return run, True
    return run, False
