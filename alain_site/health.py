"""Health of the site and of its teacher providers: what `GET /api/health` and `GET /api/providers` show.

`site_health()` checks the database, the task broker, whether a worker was seen recently and the
artifact storage. The database and the storage are vital (without them nothing works: 503); the
broker and the workers only delay background runs, so their trouble makes the site "degraded".

django-q2 keeps its cluster statistics in a per-process cache that a web process cannot read, so
workers are judged by what they leave in the database: finished tasks (the cluster runs the
`alain-watchdog` schedule every minute) and the heartbeats of running runs.

Nothing here reveals a secret: messages name the kind of failure (the exception's class), never
a connection string, a path or a key; details go to the log.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Max
from django.utils import timezone

from providers.catalog import catalog_entries
from providers.errors import ProviderConfigError
from providers.governor import UNGOVERNED_PROVIDERS, policy_for, provider_snapshot
from providers.http import redact

logger = logging.getLogger(__name__)

# A worker counts as alive when it left a trace within this window. The watchdog task runs every
# minute, so three minutes allow for a busy cluster and a slow poll.
WORKER_WINDOW = timedelta(minutes=3)
# Probe files of the storage check live here, and are deleted right after the check.
STORAGE_PROBE_PREFIX = "health/"
# Seconds Redis may take to connect or answer before the broker counts as down.
REDIS_TIMEOUT_SECONDS = 2.0

Status = Literal["ok", "degraded", "failing"]
CheckResult = dict[str, Any]


@dataclass(frozen=True)
class HealthReport:
    """The site's health: "ok", "degraded" (runs may wait) or "failing" (the site cannot work)."""

    status: Status
    checks: dict[str, CheckResult]
    checked_at: datetime

    @property
    def http_status(self) -> int:
        return 503 if self.status == "failing" else 200

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checked_at": self.checked_at, "checks": self.checks}


# Checks whose failure makes the whole site fail; the others only degrade it.
VITAL_CHECKS = ("database", "storage")


def site_health(*, now: Callable[[], datetime] = timezone.now) -> HealthReport:
    """Run every check and sum them up."""
    moment = now()
    checks = {
        "database": check_database(),
        "broker": check_broker(now=moment),
        "workers": check_workers(now=moment),
        "storage": check_storage(),
    }
    if any(not checks[name]["ok"] for name in VITAL_CHECKS):
        status: Status = "failing"
    elif all(check["ok"] for check in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return HealthReport(status=status, checks=checks, checked_at=moment)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _failure(what: str, exc: BaseException, **extra: Any) -> CheckResult:
    # The exception's text may hold a host, a path or a password: it goes to the log only.
    logger.warning("Health check %s failed", what, exc_info=exc)
    return {"ok": False, "message": f"{what} failed ({type(exc).__name__}); see the server log.", **extra}


def check_database() -> CheckResult:
    """A trivial query on the default database, with its round trip in milliseconds."""
    started = time.perf_counter()
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failure("The database query", exc, latency_ms=None)
    return {"ok": True, "message": "The database answers.", "latency_ms": _elapsed_ms(started)}


def check_broker(*, now: datetime) -> CheckResult:
    """The task queue: Redis is pinged when it is the broker; the ORM queue is counted."""
    cluster = settings.Q_CLUSTER
    if cluster.get("redis"):
        return _redis_broker(cluster)
    try:
        # A savepoint: on PostgreSQL a failed query would spoil the checks that follow.
        with transaction.atomic():
            return _orm_broker(cluster, now=now)
    except Exception as exc:
        return _failure("Reading the task queue", exc, kind="orm", queued=None, in_progress=None)


def _orm_broker(cluster: Mapping[str, Any], *, now: datetime) -> CheckResult:
    from django_q.models import OrmQ

    # The ORM broker locks a task it hands to a worker until `retry` seconds later; a task whose
    # lock has passed is waiting (again).
    tasks = OrmQ.objects.using(cluster.get("orm") or DEFAULT_DB_ALIAS).filter(key=cluster.get("name", "default"))
    waiting = tasks.exclude(lock__gt=now)
    queued = waiting.count()
    in_progress = tasks.filter(lock__gt=now).count()
    oldest = waiting.order_by("id").first()
    oldest_seconds = None
    if oldest is not None:
        # The task package records when it was queued; the lock is the fallback (it starts there).
        queued_at = oldest.task.get("started") if isinstance(oldest.task, dict) else None
        if not isinstance(queued_at, datetime):
            queued_at = oldest.lock or now
        oldest_seconds = round(max(0.0, (now - queued_at).total_seconds()), 1)
    message = f"{queued} task(s) waiting, {in_progress} being worked on."
    if oldest_seconds is not None:
        message += f" The oldest has waited {oldest_seconds:g} s."
    return {
        "ok": True,
        "message": message,
        "kind": "orm",
        "queued": queued,
        "in_progress": in_progress,
        "oldest_queued_seconds": oldest_seconds,
    }


def _redis_broker(cluster: Mapping[str, Any]) -> CheckResult:
    try:
        import redis
    except ImportError:
        return {
            "ok": False,
            "message": "The Redis broker is configured but the redis package is not installed.",
            "kind": "redis",
            "queued": None,
        }
    started = time.perf_counter()
    try:
        # Our own short timeouts: django-q2's connection waits forever on an unreachable host.
        client = redis.Redis.from_url(
            str(cluster["redis"]),
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        client.ping()
        queued = int(client.llen(cluster.get("name", "default")))
    except Exception as exc:
        return _failure("The Redis ping", exc, kind="redis", queued=None)
    return {
        "ok": True,
        "message": f"Redis answers; {queued} task(s) waiting.",
        "kind": "redis",
        "queued": queued,
        "latency_ms": _elapsed_ms(started),
    }


def check_workers(*, now: datetime) -> CheckResult:
    """Whether a worker left a trace (a finished task, a run's heartbeat) within WORKER_WINDOW."""
    try:
        with transaction.atomic():
            last_seen = _last_worker_trace()
    except Exception as exc:
        return _failure("Looking for worker traces", exc, last_seen=None)
    window = int(WORKER_WINDOW.total_seconds())
    result: CheckResult = {"last_seen": last_seen, "window_seconds": window}
    if last_seen is None:
        message = "No worker has been seen yet: queued runs wait until a cluster runs (manage.py qcluster)."
        return {"ok": False, "message": message, **result}
    ago = (now - last_seen).total_seconds()
    if ago <= window:
        return {"ok": True, "message": f"A worker was seen {max(0, round(ago))} s ago.", **result}
    since = last_seen.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    message = (
        f"No worker was seen since {since} ({_duration(ago)} ago): queued runs wait until a cluster "
        "runs (manage.py qcluster)."
    )
    return {"ok": False, "message": message, **result}


def _last_worker_trace() -> datetime | None:
    from django_q.models import Task

    from generation.models import Run, RunStatus

    # Only running runs beat; a finished run's last beat is covered by its task's `stopped`.
    traces = [
        Task.objects.aggregate(latest=Max("stopped"))["latest"],
        Run.objects.filter(status=RunStatus.RUNNING).aggregate(latest=Max("heartbeat_at"))["latest"],
    ]
    seen = [moment for moment in traces if moment is not None]
    return max(seen) if seen else None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def check_storage() -> CheckResult:
    """Write, read back and delete a small file through the artifacts' storage."""
    payload = f"alain health probe {uuid.uuid4().hex}".encode()
    started = time.perf_counter()
    saved = None
    try:
        saved = default_storage.save(f"{STORAGE_PROBE_PREFIX}probe-{uuid.uuid4().hex}.txt", ContentFile(payload))
        with default_storage.open(saved, "rb") as probe:
            read = probe.read()
        default_storage.delete(saved)
        saved = None
    except Exception as exc:
        return _failure("Writing, reading and deleting a probe file in the storage", exc, latency_ms=None)
    finally:
        if saved is not None:
            _forget_probe(saved)
    if read != payload:
        return {"ok": False, "message": "The storage gave back other bytes than were written.", "latency_ms": None}
    return {"ok": True, "message": "The storage writes, reads and deletes.", "latency_ms": _elapsed_ms(started)}


def _forget_probe(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:
        logger.warning("Could not delete the storage probe %s", name, exc_info=True)


# --- providers --------------------------------------------------------------------------------


def provider_catalog(
    config: Mapping[str, Any] | None = None, *, now: Callable[[], datetime] = timezone.now
) -> list[dict[str, Any]]:
    """The catalog of teacher providers with their breaker and load; says whether a key is set, never the key."""
    config = settings.ALAIN if config is None else config
    secrets = _configured_secrets(config)
    entries = []
    for entry in catalog_entries(config):
        entries.append(
            {
                **entry,
                "base_url": public_base_url(str(entry.get("base_url") or ""), secrets=secrets),
                "health": provider_health(entry["key"], config, secrets=secrets, now=now),
            }
        )
    return entries


def provider_health(
    key: str, config: Mapping[str, Any], *, secrets: Iterable[str] = (), now: Callable[[], datetime] = timezone.now
) -> dict[str, Any]:
    """The governor's view of one provider: breaker state, calls in flight and the limits it applies."""
    snapshot = provider_snapshot(key, now=now)
    health: dict[str, Any] = {
        "state": snapshot["state"],
        "consecutive_failures": snapshot["consecutive_failures"],
        "opened_at": snapshot["opened_at"],
        # Failure reasons are written without secrets; redacting again costs nothing.
        "last_failure": redact(snapshot["last_failure"], secrets=secrets),
        "in_flight": snapshot["live_leases"],
        "probe_in_flight": snapshot["probe_in_flight"],
        "governed": key not in UNGOVERNED_PROVIDERS,
        "policy_error": None,
    }
    try:
        policy = policy_for(key, config)
    except ProviderConfigError as exc:
        health.update(
            max_concurrency=None,
            requests_per_minute=None,
            breaker_threshold=None,
            breaker_cooldown_seconds=None,
            policy_error=redact(str(exc), secrets=secrets),
        )
        return health
    health.update(
        max_concurrency=policy.max_concurrency,
        requests_per_minute=policy.requests_per_minute,
        breaker_threshold=policy.breaker_threshold,
        breaker_cooldown_seconds=policy.breaker_cooldown_seconds,
    )
    return health


def _configured_secrets(config: Mapping[str, Any]) -> list[str]:
    """Every configured value whose setting name says it is a secret (keys, tokens, passwords)."""
    markers = ("_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
    return [str(value) for name, value in config.items() if str(name).upper().endswith(markers) and value]


def public_base_url(url: str, *, secrets: Iterable[str] = ()) -> str:
    """`url` without credentials: userinfo (`user:pass@`) dropped, keys in the query redacted."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        # Not a URL we can take apart: show nothing rather than something that may hold a secret.
        return ""
    netloc = parts.netloc.rpartition("@")[2]
    return redact(urlunsplit(parts._replace(netloc=netloc)), secrets=secrets)
