"""The request id: taken from a safe `X-Request-ID` or made up, bound for the request's log lines,
echoed in the response, and carried into the tasks the request queues."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from alain_site.observability import context


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        with context.bound(request_id=request_id, tutorial_id="", stage=""):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
