"""The edges of /api/: unknown paths and methods answer in the API's JSON shape; blank keys are refused."""

from __future__ import annotations

from generation.models import Run
from tests.api.conftest import post_json


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/no-such-route")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and "/api/docs" in response.json()["message"]


def test_a_wrong_method_is_a_json_405_with_allow(api):
    response = api.delete("/api/runs")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_portal_404_stays_html(api):
    response = api.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_blank_idempotency_key_is_refused_and_nothing_is_queued(api):
    response = post_json(
        api,
        "/api/generate/notebook",
        {"source": {"kind": "text", "text": "# A card\n\nSome text about a model."}},
        HTTP_IDEMPOTENCY_KEY="   ",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Run.objects.exists()


def test_an_unreachable_hub_is_a_503_to_retry_not_a_bad_source(api, settings):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    settings.ALAIN = {**settings.ALAIN, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_OFFLINE": False}
    response = post_json(api, "/api/generate/outline", {"source": {"kind": "hf", "ref": "acme/tiny-chat"}})
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "source_unavailable"
    assert "cannot be reached" in response.json()["message"]
    assert response["Retry-After"] == "60"
