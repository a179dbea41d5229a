"""Rate limits per client and body size limits for `/api/`.

The rate is counted in the database (`ApiRateWindow`), per token, else per signed-in user,
else per address, in fixed one-minute windows: every web process shares one count, which a
per-process cache would not give.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.throttling import BaseThrottle

from alain_site.accounts.models import ApiRateWindow

WINDOW_SECONDS = 60
# Windows older than this are deleted now and then (they count nothing any more).
KEEP_WINDOWS = 5


def client_bucket(request: HttpRequest) -> str:
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"token:{token.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"[:80]


def count_request(bucket: str, *, now: float | None = None) -> tuple[int, float]:
    """Count one request for `bucket`; return the count in the current window and its seconds left."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    left = window + WINDOW_SECONDS - now
    rows = ApiRateWindow.objects.filter(bucket=bucket, window_start=window)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                ApiRateWindow.objects.create(bucket=bucket, window_start=window, count=1)
        except IntegrityError:
            rows.update(count=F("count") + 1)  # another process opened the window first
        else:
            ApiRateWindow.objects.filter(window_start__lt=window - KEEP_WINDOWS * WINDOW_SECONDS).delete()
    return rows.values_list("count", flat=True).first() or 1, left


class PerClientRateThrottle(BaseThrottle):
    """`ALAIN_API_RATE_PER_MINUTE` requests per client per minute; 429 with Retry-After beyond."""

    def __init__(self) -> None:
        self._wait = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.ALAIN["API_RATE_PER_MINUTE"]
        if limit <= 0:
            return True
        count, left = count_request(client_bucket(request))
        self._wait.seconds = left
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._wait, "seconds", None)


# What Django answers in HTML under /api/ (no route matched, or the route has no such method),
# said in the API's JSON error shape instead.
_FALLBACK_ERRORS = {
    404: ("not_found", "There is no API route at this path; see /api/docs."),
    405: ("method_not_allowed", "This API route does not accept this method; see /api/docs."),
}


class ApiEdgeMiddleware:
    """The edges of `/api/`: refuse a body larger than `ALAIN_API_MAX_BODY_BYTES` from its
    Content-Length before anything reads it (413), and answer unknown paths and methods in JSON."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        limit = settings.ALAIN["API_MAX_BODY_BYTES"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return JsonResponse(
                {
                    "code": "body_too_large",
                    "message": f"The request body is {length} bytes; the API accepts at most {limit} bytes.",
                },
                status=413,
            )
        response = self.get_response(request)
        fallback = _FALLBACK_ERRORS.get(response.status_code)
        if fallback and not response.get("Content-Type", "").startswith("application/json"):
            code, message = fallback
            json_response = JsonResponse({"code": code, "message": message}, status=response.status_code)
            if allow := response.get("Allow"):
                json_response["Allow"] = allow
            return json_response
        return response
