"""`/api/providers` (the teacher catalog with its health, never a key) and `/api/health`.

`/api/health` needs no credentials: load balancers and CI call it. It shows no secret either
(see `alain_site.health`). Prometheus scrapes `/metrics` at the site root (django-prometheus).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db import DatabaseError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from alain_site import health
from alain_site.api.errors import ErrorOut, responses
from alain_site.api.limits import PerClientRateThrottle
from providers.catalog import default_provider

router = Router(tags=["system"])


# --- providers ---------------------------------------------------------------------------------


class ProviderModelOut(Schema):
    id: str
    label: str
    context_tokens: int | None = Field(None, description="The model's context window, when known.")


class ProviderHealthOut(Schema):
    state: Literal["closed", "open", "half_open"] = Field(
        description="Circuit breaker: closed (calls go through), open (refused until the cooldown ends), "
        "half_open (one trial call allowed)."
    )
    consecutive_failures: int
    opened_at: datetime | None
    last_failure: str = Field(description="Why the last failed call failed (no secrets).")
    in_flight: int = Field(description="Calls holding a slot right now, across every worker.")
    probe_in_flight: bool
    governed: bool = Field(description="False for the offline demo teacher, which has no limits.")
    max_concurrency: int | None = Field(description="Calls at once; null: no cap.")
    requests_per_minute: float | None = Field(description="Request rate; null: no limit.")
    breaker_threshold: int | None = Field(description="Consecutive failures that open the breaker.")
    breaker_cooldown_seconds: float | None
    policy_error: str | None = Field(None, description="Why the provider's limits in the settings are invalid.")


class ProviderOut(Schema):
    key: str
    label: str
    default: bool = Field(description="Used when a request names no provider.")
    demo: bool = False
    available: bool = Field(description="False when the provider's module cannot be loaded (see error).")
    error: str | None = None
    configured: bool = Field(description="Has what it needs to be called (a key, or a keyless local server).")
    key_required: bool = False
    has_key: bool = Field(False, description="Whether an API key is set; the key itself is never shown.")
    api_key_env: str = Field("", description="The environment variable that holds the key.")
    base_url: str = Field("", description="Where requests go, without credentials.")
    default_model: str = ""
    capabilities: list[str] = Field(default_factory=list, description="Structured output modes, best first.")
    models: list[ProviderModelOut] = Field(default_factory=list)
    health: ProviderHealthOut


class ProvidersOut(Schema):
    default: str
    items: list[ProviderOut]


@router.get("/providers", response=responses({200: ProvidersOut}), url_name="providers")
def list_providers(request: HttpRequest) -> dict[str, Any]:
    """The teacher providers: models, capabilities, configuration and breaker health. Never a key."""
    return {"default": default_provider(), "items": health.provider_catalog()}


# --- health ------------------------------------------------------------------------------------


class CheckOut(Schema):
    ok: bool
    message: str


class DatabaseCheckOut(CheckOut):
    latency_ms: float | None = None


class BrokerCheckOut(CheckOut):
    kind: Literal["orm", "redis"]
    queued: int | None = Field(None, description="Tasks waiting for a worker.")
    in_progress: int | None = Field(None, description="Tasks a worker has taken (ORM broker).")
    oldest_queued_seconds: float | None = Field(None, description="How long the oldest waiting task has waited.")
    latency_ms: float | None = None


class WorkersCheckOut(CheckOut):
    last_seen: datetime | None = Field(None, description="The latest finished task or run heartbeat.")
    window_seconds: int | None = Field(None, description="A worker counts as seen within this many seconds.")


class StorageCheckOut(CheckOut):
    latency_ms: float | None = None


class HealthChecksOut(Schema):
    database: DatabaseCheckOut
    broker: BrokerCheckOut
    workers: WorkersCheckOut
    storage: StorageCheckOut


class HealthOut(Schema):
    status: Literal["ok", "degraded", "failing"] = Field(
        description="ok; degraded (200: background runs may wait); failing (503: database or storage down)."
    )
    checked_at: datetime
    checks: HealthChecksOut


class HealthThrottle(PerClientRateThrottle):
    """The API's rate limit, except that a database that cannot count lets the call through.

    The limit is counted in the database; without this, a database outage would answer 500 here
    instead of the 503 health report that says so.
    """

    def allow_request(self, request: HttpRequest) -> bool:
        try:
            return super().allow_request(request)
        except DatabaseError:
            return True


@router.get(
    "/health",
    auth=None,
    throttle=[HealthThrottle()],
    response={200: HealthOut, 503: HealthOut, 429: ErrorOut},
    url_name="health",
)
def get_health(request: HttpRequest) -> Status[dict[str, Any]]:
    """Database, task broker, workers seen recently and storage. No credentials needed; no secrets shown."""
    report = health.site_health()
    return Status(report.http_status, report.as_dict())
