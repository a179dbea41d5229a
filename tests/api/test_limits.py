"""Rate limits per client (429 with Retry-After) and body size limits (413) on /api/."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django_q.models import OrmQ

from alain_site.accounts.models import ApiRateWindow
from alain_site.api import limits
from generation.models import Run
from tests.api.conftest import post_json
from tests.generation.factories import SAMPLE_CARD

pytestmark = pytest.mark.django_db

# 45 s into a window: 15 s are left.
NOW = 60 * 28_000_000 + 45.0


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The limiter's clock, fixed (so a test never straddles a window) and movable."""
    now = [NOW]
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture
def rate_3(settings, clock):
    settings.ALAIN = {**settings.ALAIN, "API_RATE_PER_MINUTE": 3}
    return clock


def assert_limited(response, wait: int | None = None) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "rate_limited"
    assert "try again" in body["message"]
    retry_after = response["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 60
    if wait is not None:
        assert int(retry_after) == wait
        assert f"{wait} s" in body["message"]


def test_the_fourth_request_in_a_minute_is_a_429_with_retry_after(rate_3, api):
    for _ in range(3):
        assert api.get("/api/runs").status_code == 200
    assert_limited(api.get("/api/runs"), wait=15)
    assert_limited(api.get("/api/runs"), wait=15)


def test_the_limit_counts_every_route_and_refuses_writes_too(rate_3, api):
    assert api.get("/api/runs").status_code == 200
    assert api.get("/api/runs/nothing-here").status_code == 404
    body = {"source": {"kind": "text", "text": SAMPLE_CARD}, "options": {"provider": "demo"}}
    assert post_json(api, "/api/generate/notebook", body).status_code == 202
    assert_limited(post_json(api, "/api/generate/notebook", body))
    assert Run.objects.count() == 1
    assert OrmQ.objects.count() == 1


def test_the_next_window_starts_a_new_count(rate_3, api):
    for _ in range(3):
        assert api.get("/api/runs").status_code == 200
    assert_limited(api.get("/api/runs"))
    rate_3[0] += 15  # the next window opens
    assert api.get("/api/runs").status_code == 200


def test_two_tokens_have_separate_counts(rate_3, bearer_client, author):
    first, second = bearer_client(author), bearer_client(author)
    for _ in range(3):
        assert first.get("/api/runs").status_code == 200
    assert_limited(first.get("/api/runs"))
    for _ in range(3):
        assert second.get("/api/runs").status_code == 200
    assert_limited(second.get("/api/runs"))


def test_users_have_separate_counts(rate_3, bearer_client, author, other_author):
    mine, theirs = bearer_client(author), bearer_client(other_author)
    for _ in range(3):
        assert mine.get("/api/runs").status_code == 200
    assert_limited(mine.get("/api/runs"))
    assert theirs.get("/api/runs").status_code == 200


def test_a_portal_session_is_counted_per_user(rate_3, author):
    client = Client()
    client.force_login(author)
    for _ in range(3):
        assert client.get("/api/runs").status_code == 200
    assert_limited(client.get("/api/runs"))
    assert ApiRateWindow.objects.get(bucket=f"user:{author.pk}").count == 4


def test_requests_without_credentials_are_refused_before_they_are_counted(rate_3):
    for _ in range(5):
        assert Client().get("/api/runs").status_code == 401
    assert not ApiRateWindow.objects.exists()


def test_a_limit_of_zero_turns_the_limiter_off(settings, clock, api):
    settings.ALAIN = {**settings.ALAIN, "API_RATE_PER_MINUTE": 0}
    for _ in range(5):
        assert api.get("/api/runs").status_code == 200
    assert not ApiRateWindow.objects.exists()


def test_old_windows_are_deleted_when_a_new_one_opens():
    start = 60 * 1_000_000
    limits.count_request("token:1", now=start)
    limits.count_request("token:2", now=start + 1)
    assert limits.count_request("token:1", now=start + 2) == (2, 58.0)
    # Within KEEP_WINDOWS the old windows stay; beyond, they go.
    limits.count_request("token:1", now=start + 60 * limits.KEEP_WINDOWS)
    assert ApiRateWindow.objects.count() == 3
    assert limits.count_request("token:1", now=start + 60 * (limits.KEEP_WINDOWS + 1) + 30) == (1, 30.0)
    assert set(ApiRateWindow.objects.values_list("window_start", flat=True)) == {
        start + 60 * limits.KEEP_WINDOWS,
        start + 60 * (limits.KEEP_WINDOWS + 1),
    }


# --- Body size ---------------------------------------------------------------------------------


@pytest.fixture
def small_bodies(settings):
    settings.ALAIN = {**settings.ALAIN, "API_MAX_BODY_BYTES": 2000}


def notebook_body(size: int) -> dict:
    return {"source": {"kind": "text", "text": "# Card\n" + "x" * size}, "options": {"provider": "demo"}}


def test_a_body_over_the_limit_is_a_413_and_creates_nothing(small_bodies, api):
    response = post_json(api, "/api/generate/notebook", notebook_body(3000))
    assert response.status_code == 413, response.content
    body = response.json()
    assert body["code"] == "body_too_large"
    assert "at most 2000 bytes" in body["message"]
    assert not Run.objects.exists()
    assert not OrmQ.objects.exists()


@pytest.mark.parametrize(
    "path", ["/api/generate/outline", "/api/generate/section", "/api/runs/some-run/sections/1/regenerate"]
)
def test_every_body_route_refuses_a_large_body(small_bodies, api, path):
    response = post_json(api, path, {"instruction": "x" * 3000})
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "body_too_large"


def test_a_large_body_is_refused_before_authentication(small_bodies):
    response = post_json(Client(), "/api/generate/notebook", notebook_body(3000))
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_a_body_under_the_limit_is_accepted(small_bodies, api):
    response = post_json(api, "/api/generate/notebook", notebook_body(1000))
    assert response.status_code == 202, response.content


def test_the_limit_applies_to_the_api_only(small_bodies, client):
    response = client.post("/accounts/login/", {"username": "x", "password": "y" * 3000})
    assert response.status_code != 413


def test_djangos_own_upload_limit_answers_in_the_api_shape(settings, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
    response = post_json(api, "/api/generate/notebook", notebook_body(1000))
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "body_too_large"
    assert not Run.objects.exists()
