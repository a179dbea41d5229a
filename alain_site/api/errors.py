"""The API's error shape: JSON `{"code": ..., "message": ...}` with a stable code for every failure.

Clients branch on `code`; `message` is a sentence for people. Every route declares the statuses it
may answer in the OpenAPI schema (`responses`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError


class ErrorOut(Schema):
    code: str
    message: str
    detail: list[dict[str, Any]] | None = None


class ApiError(Exception):
    """Raised by routes and their helpers; answered as `status` with `code` and `message`."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


# Statuses every authenticated route may answer, whatever it does.
COMMON = (401, 429)


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """A route's response map: its successes, then ErrorOut for `errors` and the common statuses."""
    return {**ok, **{status: ErrorOut for status in sorted({*errors, *COMMON})}}


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    headers = extra.pop("headers", None) or {}
    response = api.create_response(request, {"code": code, "message": message, **extra}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "The request is invalid: " + "; ".join(parts) + more + "."


def install_handlers(api: NinjaAPI) -> None:
    """Answer every failure the API can meet in the one error shape."""

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, exc.message, headers=exc.headers)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        detail = [
            {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
            for error in exc.errors
        ]
        return error_response(api, request, 422, "invalid_request", _validation_message(exc.errors), detail=detail)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "unauthenticated",
            "Authentication required: send 'Authorization: Bearer <API token>' with a valid, unexpired, "
            "unrevoked token (create one under Account > API tokens), or sign in to the portal.",
            headers={"WWW-Authenticate": 'Bearer realm="alain"'},
        )

    @api.exception_handler(AuthorizationError)
    def not_allowed(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", str(exc.message) or "You may not do this.")

    @api.exception_handler(PermissionDenied)
    def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", str(exc) or "You may not do this.")

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = max(1, int(exc.wait or 1))
        return error_response(
            api,
            request,
            429,
            "rate_limited",
            f"Too many requests for this token; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "Not found, or not visible to you.")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(api, request, 413, "body_too_large", "The request body is larger than the API accepts.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            # django-ninja's words when the body is not JSON.
            return error_response(
                api,
                request,
                400,
                "invalid_json",
                "The request body is not valid JSON: send a JSON object with 'Content-Type: application/json'.",
            )
        if exc.status_code == 403 and message.startswith("CSRF"):
            # django-ninja's session auth refused an unsafe request without the portal's CSRF token.
            return error_response(
                api,
                request,
                403,
                "csrf_failed",
                "CSRF check failed: a request signed in with the portal's session must send the csrftoken "
                "cookie's value as the X-CSRFToken header (automation should use an API token instead).",
            )
        code = {400: "bad_request", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, message)
