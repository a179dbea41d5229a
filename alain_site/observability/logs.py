"""JSON log lines on stdout, each with the run, stage and request it belongs to, secrets removed.

Wired in `settings.LOGGING`: `ContextFilter` adds the fields of `observability.context`,
`RedactingFilter` rewrites the message (and an exception's text) through `providers.http.redact`
plus every secret configured in settings, and `JsonFormatter` writes one JSON object per line.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from django.conf import settings
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from alain_site.observability import context
from providers.http import redact

# Settings whose values are secrets (never printed, whatever the log line says).
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def configured_secrets() -> list[str]:
    """Secret values from settings: provider keys, the Hub token, Django's SECRET_KEY."""
    values = [getattr(settings, "SECRET_KEY", "")]
    for name, value in getattr(settings, "ALAIN", {}).items():
        if isinstance(value, str) and any(word in name.upper() for word in _SECRET_NAMES):
            values.append(value)
    return [value for value in values if value]


def scrub(text: str) -> str:
    return redact(text, secrets=configured_secrets())


class ContextFilter(logging.Filter):
    """Adds request_id, tutorial_id and stage (empty when not set) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in context.FIELDS:
            if not getattr(record, name, ""):
                setattr(record, name, context.get(name))
        # Django logs a 4xx/5xx response after the middleware has returned (and unbound the
        # request id), but it passes the request along.
        request = getattr(record, "request", None)
        if not record.request_id and request is not None:
            record.request_id = getattr(request, "request_id", "")
        return True


class RedactingFilter(logging.Filter):
    """Renders the message once, removes secrets from it and from the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class JsonFormatter(_JsonFormatter):
    """`{"time", "level", "logger", "message", "request_id", "tutorial_id", "stage", ...}` per line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        # ISO 8601 in UTC, as "time".
        kwargs.setdefault("timestamp", "time")
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_record, record, message_dict)
        # `extra=` values are not part of the message: scrub every string that reaches the line.
        for key, value in log_record.items():
            if isinstance(value, str) and key not in ("time", "level", "logger"):
                log_record[key] = scrub(value)
        for name in context.FIELDS:
            value = getattr(record, name, "")
            if value:
                log_record[name] = value
            else:
                log_record.pop(name, None)
        if record.exc_text:
            log_record["exc_info"] = record.exc_text
