"""`GET /api/providers`, `GET /api/health` and the Prometheus endpoint `/metrics`."""

from __future__ import annotations

import re
import sys
import types
import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ, Success
from django_q.signing import SignedPackage

from alain_site.accounts.models import ApiToken
from alain_site.accounts.tokens import revoke_token
from generation.models import RunStatus
from providers.governor import ProviderGovernor, policy_for
from tests.generation.factories import make_run

OPENAI_KEY = "sk-test-openai-0123456789abcdefghij"
POE_KEY = "poe0123456789abcdefghijklmnopqrstuvwxyz"
LOCAL_KEY = "local-secret-key-42"
URL_PASSWORD = "url-pass-7f3a9c"


@pytest.fixture
def fake_keys(settings):
    """Keys for every HTTP provider, and an OpenAI-compatible proxy with credentials in its URL."""
    settings.ALAIN = {
        **settings.ALAIN,
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_BASE_URL": f"https://alice:{URL_PASSWORD}@proxy.example/v1",
        "POE_API_KEY": POE_KEY,
        "LOCAL_API_KEY": LOCAL_KEY,
        "DEFAULT_PROVIDER": "demo",
    }


def providers_by_key(response) -> dict[str, dict]:
    return {item["key"]: item for item in response.json()["items"]}


# --- GET /api/providers ------------------------------------------------------------------------


@pytest.mark.django_db
def test_providers_refuses_a_caller_without_credentials():
    response = Client().get("/api/providers")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="alain"'


@pytest.mark.django_db
def test_providers_refuses_a_wrong_token():
    response = Client(HTTP_AUTHORIZATION="Bearer alain_not-a-real-token").get("/api/providers")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_providers_refuses_a_revoked_token(author, bearer_client):
    client = bearer_client(author)
    revoke_token(author, ApiToken.objects.get(user=author).pk)

    response = client.get("/api/providers")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_providers_refuses_an_expired_token(author, bearer_client):
    client = bearer_client(author, expires_in_days=1)
    ApiToken.objects.filter(user=author).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.get("/api/providers")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_providers_lists_every_provider_with_models_capabilities_and_limits(api, fake_keys, settings):
    settings.ALAIN = {**settings.ALAIN, "POE_CONCURRENCY": "3", "POE_RATE_PER_MINUTE": "30"}

    response = api.get("/api/providers")

    assert response.status_code == 200
    body = response.json()
    assert body["default"] == "demo"
    providers = providers_by_key(response)
    assert set(providers) == {"openai", "poe", "local", "demo"}
    assert [key for key, item in providers.items() if item["default"]] == ["demo"]

    poe = providers["poe"]
    assert poe["available"] is True
    assert poe["has_key"] is True
    assert poe["key_required"] is True
    assert poe["configured"] is True
    assert poe["api_key_env"] == "POE_API_KEY"
    assert poe["base_url"] == "https://api.poe.com/v1"
    assert poe["capabilities"]
    assert {"id": "Claude-Sonnet-4.5", "label": "Claude Sonnet 4.5", "context_tokens": 200000} in poe["models"]
    assert poe["health"] == {
        "state": "closed",
        "consecutive_failures": 0,
        "opened_at": None,
        "last_failure": "",
        "in_flight": 0,
        "probe_in_flight": False,
        "governed": True,
        "max_concurrency": 3,
        "requests_per_minute": 30.0,
        "breaker_threshold": 5,
        "breaker_cooldown_seconds": 60.0,
        "policy_error": None,
    }

    demo = providers["demo"]
    assert demo["demo"] is True
    assert demo["configured"] is True
    assert demo["has_key"] is False
    assert demo["health"]["governed"] is False
    assert demo["health"]["max_concurrency"] is None


def test_providers_never_show_a_key_or_url_credentials(api, fake_keys):
    response = api.get("/api/providers")

    assert response.status_code == 200
    text = response.content.decode()
    for secret in (OPENAI_KEY, POE_KEY, LOCAL_KEY, URL_PASSWORD, "alice"):
        assert secret not in text
    openai = providers_by_key(response)["openai"]
    assert openai["has_key"] is True
    assert openai["base_url"] == "https://proxy.example/v1"


def test_providers_say_when_no_key_is_set(api, settings):
    settings.ALAIN = {**settings.ALAIN, "POE_API_KEY": "", "DEFAULT_PROVIDER": "demo"}

    poe = providers_by_key(api.get("/api/providers"))["poe"]

    assert poe["has_key"] is False
    assert poe["configured"] is False


def test_providers_show_the_breaker_opened_by_failures(api, fake_keys, settings):
    settings.ALAIN = {**settings.ALAIN, "BREAKER_THRESHOLD": "2", "OPENAI_CONCURRENCY": "4"}
    governor = ProviderGovernor(policy_for("openai"))
    for _ in range(2):
        governor.release(governor.acquire(), outcome="failure", reason="HTTP 503 from the teacher")
    held = governor.try_acquire()  # the breaker is open: no slot

    health = providers_by_key(api.get("/api/providers"))["openai"]["health"]

    assert held is None
    assert health["state"] == "open"
    assert health["consecutive_failures"] == 2
    assert health["last_failure"] == "HTTP 503 from the teacher"
    assert health["opened_at"] is not None
    assert health["breaker_threshold"] == 2
    assert health["max_concurrency"] == 4


def test_providers_count_calls_in_flight(api, fake_keys):
    governor = ProviderGovernor(policy_for("poe"))
    governor.acquire()

    health = providers_by_key(api.get("/api/providers"))["poe"]["health"]

    assert health["state"] == "closed"
    assert health["in_flight"] == 1


def test_providers_redact_a_key_that_slipped_into_a_failure_reason(api, fake_keys):
    governor = ProviderGovernor(policy_for("openai"))
    governor.release(governor.acquire(), outcome="failure", reason=f"HTTP 401 for key {OPENAI_KEY}")

    response = api.get("/api/providers")

    assert OPENAI_KEY not in response.content.decode()
    assert providers_by_key(response)["openai"]["health"]["consecutive_failures"] == 1


def test_providers_report_invalid_limits_instead_of_failing(api, fake_keys, settings):
    settings.ALAIN = {**settings.ALAIN, "POE_CONCURRENCY": "lots"}

    response = api.get("/api/providers")

    assert response.status_code == 200
    health = providers_by_key(response)["poe"]["health"]
    assert "POE_CONCURRENCY" in health["policy_error"]
    assert health["max_concurrency"] is None


def test_providers_answer_a_read_only_token_and_the_portal_session(author, bearer_client):
    assert bearer_client(author, read_only=True).get("/api/providers").status_code == 200
    portal = Client()
    portal.force_login(author)
    assert portal.get("/api/providers").status_code == 200


# --- GET /api/health ---------------------------------------------------------------------------


def finished_task(*, ago: timedelta) -> Success:
    stopped = timezone.now() - ago
    return Success.objects.create(
        id=uuid.uuid4().hex,
        name="alain-watchdog",
        func="generation.tasks.watchdog",
        started=stopped - timedelta(seconds=1),
        stopped=stopped,
        success=True,
    )


@pytest.mark.django_db
def test_health_is_ok_without_credentials_when_a_worker_was_seen(settings):
    finished_task(ago=timedelta(seconds=30))

    response = Client().get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert checks["database"]["latency_ms"] >= 0
    assert checks["broker"] == {
        "ok": True,
        "message": "0 task(s) waiting, 0 being worked on.",
        "kind": "orm",
        "queued": 0,
        "in_progress": 0,
        "oldest_queued_seconds": None,
        "latency_ms": None,
    }
    assert checks["workers"]["ok"] is True
    assert checks["workers"]["message"] == "A worker was seen 30 s ago."
    assert checks["storage"]["ok"] is True
    # The probe file is deleted again.
    probes = Path(settings.MEDIA_ROOT) / "health"
    assert not probes.exists() or not any(probes.iterdir())


@pytest.mark.django_db
def test_health_is_degraded_but_200_when_no_worker_was_ever_seen():
    response = Client().get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    workers = body["checks"]["workers"]
    assert workers["ok"] is False
    assert workers["last_seen"] is None
    assert workers["message"].startswith("No worker has been seen yet")


@pytest.mark.django_db
def test_health_says_since_when_no_worker_was_seen():
    task = finished_task(ago=timedelta(minutes=10))

    response = Client().get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    since = task.stopped.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert body["checks"]["workers"]["message"].startswith(f"No worker was seen since {since} (10 min ago)")


@pytest.mark.django_db
def test_health_counts_a_running_runs_heartbeat_as_a_worker_seen():
    finished_task(ago=timedelta(hours=2))
    make_run(status=RunStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(seconds=20))

    body = Client().get("/api/health").json()

    assert body["status"] == "ok"
    assert body["checks"]["workers"]["message"] == "A worker was seen 20 s ago."


@pytest.mark.django_db
def test_health_counts_waiting_and_taken_tasks_of_the_orm_broker():
    now = timezone.now()
    queued_at = now - timedelta(seconds=45)
    OrmQ.objects.create(key="alain", payload=SignedPackage.dumps({"id": "a", "started": queued_at}), lock=queued_at)
    OrmQ.objects.create(key="alain", payload=SignedPackage.dumps({"id": "b", "started": now}), lock=now)
    OrmQ.objects.create(key="alain", payload=SignedPackage.dumps({"id": "c"}), lock=now + timedelta(minutes=5))

    broker = Client().get("/api/health").json()["checks"]["broker"]

    assert broker["ok"] is True
    assert broker["queued"] == 2
    assert broker["in_progress"] == 1
    assert 44 <= broker["oldest_queued_seconds"] <= 60


@pytest.mark.django_db
def test_health_fails_with_503_when_the_database_does_not_answer(monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError('could not connect to server at "db.secret-host.internal"')

    monkeypatch.setattr("alain_site.health.connections", {"default": Unreachable()})

    response = Client().get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"] == {
        "ok": False,
        "message": "The database query failed (OperationalError); see the server log.",
        "latency_ms": None,
    }
    assert "secret-host" not in response.content.decode()


@pytest.mark.django_db
def test_health_fails_with_503_when_a_database_check_fails(monkeypatch):
    monkeypatch.setattr(
        "alain_site.health.check_database", lambda: {"ok": False, "message": "down", "latency_ms": None}
    )

    response = Client().get("/api/health")

    assert response.status_code == 503
    assert response.json()["status"] == "failing"


@pytest.mark.django_db
def test_health_fails_with_503_when_the_storage_cannot_write(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = str(blocker / "media")
    finished_task(ago=timedelta(seconds=5))

    response = Client().get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["ok"] is True
    storage = body["checks"]["storage"]
    assert storage["ok"] is False
    assert storage["message"].startswith("Writing, reading and deleting a probe file in the storage failed (")
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.django_db
def test_health_pings_redis_when_it_is_the_broker(settings, monkeypatch):
    calls = {}

    class FakeRedis:
        @classmethod
        def from_url(cls, url, **options):
            calls["url"], calls["options"] = url, options
            return cls()

        def ping(self):
            return True

        def llen(self, key):
            calls["key"] = key
            return 3

    monkeypatch.setitem(sys.modules, "redis", types.SimpleNamespace(Redis=FakeRedis))
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": "redis://:hunter2@redis.internal:6379/0"}
    settings.Q_CLUSTER.pop("orm", None)

    response = Client().get("/api/health")

    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is True
    assert broker["kind"] == "redis"
    assert broker["queued"] == 3
    assert calls["key"] == "alain"
    assert calls["options"] == {"socket_connect_timeout": 2.0, "socket_timeout": 2.0}
    assert "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_health_is_degraded_when_redis_does_not_answer(settings, monkeypatch):
    class DeadRedis:
        @classmethod
        def from_url(cls, url, **options):
            return cls()

        def ping(self):
            raise ConnectionError("Error connecting to redis.internal:6379 with password hunter2")

    monkeypatch.setitem(sys.modules, "redis", types.SimpleNamespace(Redis=DeadRedis))
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": "redis://:hunter2@redis.internal:6379/0"}
    finished_task(ago=timedelta(seconds=5))

    response = Client().get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["message"] == "The Redis ping failed (ConnectionError); see the server log."
    text = response.content.decode()
    assert "hunter2" not in text
    assert "redis.internal" not in text


@pytest.mark.django_db
def test_health_says_when_the_redis_package_is_missing(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": "redis://127.0.0.1:6379/0"}

    broker = Client().get("/api/health").json()["checks"]["broker"]

    assert broker["ok"] is False
    assert "redis package is not installed" in broker["message"]


@pytest.mark.django_db
def test_health_is_rate_limited_per_address(settings):
    settings.ALAIN = {**settings.ALAIN, "API_RATE_PER_MINUTE": 1}
    client = Client()

    assert client.get("/api/health").status_code == 200
    response = client.get("/api/health")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.django_db
def test_health_answers_when_the_database_cannot_count_the_rate(monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr("alain_site.api.limits.count_request", broken)

    response = Client().get("/api/health")

    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_the_schema_declares_every_status_of_the_system_routes():
    paths = Client().get("/api/openapi.json").json()["paths"]

    assert set(paths["/api/health"]["get"]["responses"]) == {"200", "429", "503"}
    assert "security" not in paths["/api/health"]["get"]
    assert set(paths["/api/providers"]["get"]["responses"]) == {"200", "401", "429"}


# --- /metrics ----------------------------------------------------------------------------------


def requests_counted(view: str) -> float:
    text = Client().get("/metrics").content.decode()
    pattern = (
        r"^django_http_requests_total_by_view_transport_method_total\{(?=[^}]*view=\""
        + re.escape(view)
        + r"\")(?=[^}]*method=\"GET\")[^}]*\} ([0-9.e+]+)$"
    )
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_answer_in_the_prometheus_text_format_and_count_api_requests(api):
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "# TYPE django_http_requests_total_by_view_transport_method_total counter" in response.content.decode()
    before = requests_counted("api:providers")

    assert api.get("/api/providers").status_code == 200
    assert api.get("/api/providers").status_code == 200

    assert requests_counted("api:providers") == before + 2
