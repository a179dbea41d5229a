"""`/api/runs`: the list and its filters, a run's detail, cancel, retry, regenerate, artifacts."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django_q.models import OrmQ

from generation.models import STAGES, Artifact, NotebookVersion, Run, RunStatus, Section
from generation.pipeline.runner import execute_run
from tests.api.conftest import post_json
from tests.generation.factories import make_run

pytestmark = pytest.mark.django_db


def run_of(user: User | None, *, team: str | None = None, **overrides: Any) -> Run:
    if team is not None:
        overrides["team"] = Group.objects.get_or_create(name=team)[0]
    return make_run(created_by=user, **overrides)


def set_status(run: Run, status: str) -> Run:
    Run.objects.filter(pk=run.pk).update(status=status)
    run.refresh_from_db()
    return run


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


@pytest.fixture
def finished_run(author) -> Run:
    """A run of the author's (team blue) that went through the whole demo pipeline."""
    run = execute_run(run_of(author, team="blue").pk)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    return run


# --- GET /runs ---------------------------------------------------------------------------------


def test_the_list_is_paginated_newest_first(api, author):
    runs = [run_of(author, subject=f"acme/model-{n}") for n in range(5)]
    first = api.get("/api/runs", {"page_size": 2})
    assert first.status_code == 200, first.content
    page = first.json()
    assert (page["count"], page["page"], page["page_size"], page["previous"]) == (5, 1, 2, None)
    assert [item["id"] for item in page["items"]] == [runs[4].tutorial_id, runs[3].tutorial_id]
    assert page["next"] == "/api/runs?page_size=2&page=2"

    second = api.get(page["next"]).json()
    assert [item["id"] for item in second["items"]] == [runs[2].tutorial_id, runs[1].tutorial_id]
    assert second["previous"] == "/api/runs?page_size=2&page=1"
    third = api.get(second["next"]).json()
    assert [item["id"] for item in third["items"]] == [runs[0].tutorial_id]
    assert third["next"] is None

    beyond = api.get("/api/runs", {"page": 9, "page_size": 2}).json()
    assert (beyond["items"], beyond["count"], beyond["next"]) == ([], 5, None)


def test_list_items_describe_the_run(api, author):
    run = run_of(author, team="blue")
    [item] = api.get("/api/runs").json()["items"]
    assert item["id"] == run.tutorial_id
    assert item["public_id"] == str(run.public_id)
    assert (item["status"], item["team"], item["created_by"]) == ("queued", "blue", "ann")
    assert item["teacher"] == {"provider": "demo", "model": "alain-demo"}
    assert item["url"] == f"/api/runs/{run.tutorial_id}"
    assert item["latest_version"] is None and item["error"] is None


def test_the_list_keeps_the_filters_in_its_links(api, author):
    for n in range(3):
        run_of(author, subject=f"acme/llama-{n}")
    page = api.get("/api/runs", {"q": "llama", "page_size": 1}).json()
    assert page["count"] == 3
    assert page["next"] == "/api/runs?q=llama&page_size=1&page=2"


def test_the_list_filters_by_status_and_text(api, author):
    queued = run_of(author, subject="acme/tiny-llama")
    failed = set_status(run_of(author, subject="other/qwen-small"), RunStatus.FAILED)

    def ids(**query: Any) -> set[str]:
        response = api.get("/api/runs", query)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids(status="failed") == {failed.tutorial_id}
    assert ids(status="queued") == {queued.tutorial_id}
    assert ids(status="succeeded") == set()
    assert ids(q="LLAMA") == {queued.tutorial_id}
    assert ids(q=failed.tutorial_id[:12]) == {failed.tutorial_id}
    assert ids(q="  ") == {queued.tutorial_id, failed.tutorial_id}
    assert ids(q="qwen", status="queued") == set()


def test_the_list_scopes_mine_and_team(api, author, reviewer, other_author):
    own_private = run_of(author)
    own_team = run_of(author, team="blue")
    teammates = run_of(reviewer, team="blue")
    run_of(other_author, team="red")
    run_of(other_author)

    def ids(scope: str) -> set[str]:
        response = api.get("/api/runs", {"scope": scope})
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids("visible") == {own_private.tutorial_id, own_team.tutorial_id, teammates.tutorial_id}
    assert ids("mine") == {own_private.tutorial_id, own_team.tutorial_id}
    assert ids("team") == {own_team.tutorial_id, teammates.tutorial_id}
    assert api.get("/api/runs").json()["count"] == 3


def test_an_admin_lists_every_run(bearer_client, make_user, author, other_author):
    run_of(author)
    run_of(other_author, team="red")
    admin = make_user("adam", roles=("admins",))
    assert bearer_client(admin).get("/api/runs").json()["count"] == 2


@pytest.mark.parametrize(
    "query",
    [
        {"page": 0},
        {"page": -1},
        {"page": "two"},
        {"page_size": 0},
        {"page_size": 1000},
        {"status": "exploded"},
        {"scope": "everyone"},
        {"q": "x" * 201},
    ],
)
def test_bad_list_parameters_are_a_422(api, query):
    body = assert_error(api.get("/api/runs", query), 422, "invalid_request")
    assert body["detail"]
    assert next(iter(query)) in body["message"]


# --- GET /runs/{ref} ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_detail_of_a_finished_run_shows_calls_findings_sections_and_artifacts(api, finished_run):
    response = api.get(f"/api/runs/{finished_run.tutorial_id}")
    assert response.status_code == 200, response.content
    detail = response.json()
    assert (detail["status"], detail["completed_stages"]) == ("succeeded", list(STAGES))
    assert set(detail["stage_timings_ms"]) == set(STAGES)
    assert all(isinstance(ms, int) and ms >= 0 for ms in detail["stage_timings_ms"].values())
    assert detail["started_at"] and detail["finished_at"]
    # An outline, four sections and the wrap-up, each valid at the first attempt.
    calls = detail["teacher_calls"]
    assert (calls["calls"], calls["requests_succeeded"], calls["json_first_pass_rate"]) == (6, 6, 1.0)
    version = NotebookVersion.objects.get(run=finished_run)
    assert detail["latest_version"]["number"] == 1
    assert detail["latest_version"]["sha256"] == version.sha256
    findings = detail["findings"]
    assert (findings["version"], findings["passed"], findings["errors"]) == (1, True, 0)
    assert sum(findings["by_rule"].values()) == findings["warnings"] + findings["infos"]
    assert [s["step"] for s in detail["sections"]] == [1, 2, 3, 4]
    assert all(s["status"] == "done" and s["title"] for s in detail["sections"])
    assert detail["events"] and detail["events"][-1]["created_at"] >= detail["events"][0]["created_at"]

    artifacts = {a["name"]: a for a in detail["artifacts"]}
    assert {"notebook.ipynb", "validation.md", "metrics.json", "manifest.json", "research.json"} <= set(artifacts)
    assert {"outline.json", "sections/01.json", "sections/04.json"} <= set(artifacts)
    for artifact in artifacts.values():
        fetched = api.get(artifact["url"])
        assert fetched.status_code == 200, (artifact["url"], fetched.content)
        data = b"".join(fetched.streaming_content)
        assert hashlib.sha256(data).hexdigest() == artifact["sha256"], artifact["url"]
        assert len(data) == artifact["size"]


@pytest.mark.django_db(transaction=True)
def test_the_detail_never_shows_prompts_replies_or_keys(api, finished_run, settings):
    text = api.get(f"/api/runs/{finished_run.tutorial_id}").content.decode()
    call = finished_run.teacher_calls.first()
    assert call.response_text and call.response_text[:80] not in text
    assert "request_messages" not in text and "response_text" not in text
    assert api.raw_key not in text


def test_a_run_is_found_by_its_public_id(api, author):
    run = run_of(author)
    response = api.get(f"/api/runs/{run.public_id}")
    assert response.status_code == 200
    assert response.json()["id"] == run.tutorial_id


def test_the_detail_of_a_failed_run_says_why(api, author):
    run = run_of(author, error_stage="outline", error_kind="teacher", error_message="The teacher gave up.")
    set_status(run, RunStatus.FAILED)
    body = api.get(f"/api/runs/{run.tutorial_id}").json()
    assert body["error"] == {"stage": "outline", "kind": "teacher", "message": "The teacher gave up."}
    assert (body["findings"], body["sections"], body["artifacts"]) == (None, [], [])


@pytest.mark.parametrize("ref", ["no-such-run", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_run_is_a_404(api, ref):
    assert_error(api.get(f"/api/runs/{ref}"), 404, "not_found")


# --- POST /runs/{ref}/cancel -------------------------------------------------------------------


def test_cancel_a_queued_run_then_again_is_a_409(api, author):
    run = run_of(author)
    response = post_json(api, f"/api/runs/{run.tutorial_id}/cancel", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert Run.objects.get(pk=run.pk).status == RunStatus.CANCELLED
    body = assert_error(api.post(f"/api/runs/{run.tutorial_id}/cancel"), 409, "invalid_transition")
    assert "cancelled" in body["message"]


def test_cancel_a_running_run(api, author):
    run = set_status(run_of(author), RunStatus.RUNNING)
    response = api.post(f"/api/runs/{run.public_id}/cancel")
    assert response.status_code == 200, response.content
    assert Run.objects.get(pk=run.pk).status == RunStatus.CANCELLED
    assert run.events.filter(message__contains="over the API").exists()


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED])
def test_cancel_an_ended_run_is_a_409(api, author, status):
    run = set_status(run_of(author), status)
    assert_error(api.post(f"/api/runs/{run.tutorial_id}/cancel"), 409, "invalid_transition")
    assert Run.objects.get(pk=run.pk).status == status


def test_cancel_an_unknown_run_is_a_404(api):
    assert_error(api.post("/api/runs/nothing-here/cancel"), 404, "not_found")


# --- POST /runs/{ref}/retry --------------------------------------------------------------------


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED])
def test_retry_a_run_that_did_not_fail_is_a_409(api, author, status):
    run = set_status(run_of(author), status)
    body = assert_error(api.post(f"/api/runs/{run.tutorial_id}/retry"), 409, "invalid_transition")
    assert "only a failed or cancelled run" in body["message"]
    assert Run.objects.get(pk=run.pk).status == status
    assert not OrmQ.objects.exists()


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.CANCELLED])
def test_retry_a_failed_or_cancelled_run_queues_it(api, author, status):
    run = set_status(run_of(author, error_message="boom", error_stage="outline"), status)
    response = api.post(f"/api/runs/{run.tutorial_id}/retry")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert Run.objects.get(pk=run.pk).status == RunStatus.QUEUED
    assert OrmQ.objects.count() == 1


def test_retry_an_unknown_run_is_a_404(api):
    assert_error(api.post("/api/runs/nothing-here/retry"), 404, "not_found")


# --- POST /runs/{ref}/sections/{n}/regenerate --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_regenerate_a_section_of_a_finished_run(api, finished_run):
    url = f"/api/runs/{finished_run.tutorial_id}/sections/2/regenerate"
    response = post_json(api, url, {"instruction": "  Use a smaller batch.  "})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    run = Run.objects.get(pk=finished_run.pk)
    assert run.status == RunStatus.QUEUED
    assert run.completed_stages == ["research", "outline"]
    section = run.sections.get(index=1)
    assert (section.status, section.instruction) == (Section.Status.PENDING, "Use a smaller batch.")
    assert run.sections.filter(status=Section.Status.DONE).count() == 3
    assert OrmQ.objects.count() == 1

    # Queued again: a second regeneration waits for this one.
    assert_error(post_json(api, url, {}), 409, "invalid_transition")
    assert OrmQ.objects.count() == 1

    # The worker writes step 2 again and publishes version 2.
    run = execute_run(run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert api.get(f"/api/runs/{run.tutorial_id}").json()["latest_version"]["number"] == 2


@pytest.mark.django_db(transaction=True)
def test_regenerate_without_a_body(api, finished_run):
    # As `curl -X POST` sends it: no body at all.
    response = api.post(f"/api/runs/{finished_run.tutorial_id}/sections/4/regenerate", "", content_type="")
    assert response.status_code == 202, response.content
    assert Run.objects.get(pk=finished_run.pk).sections.get(index=3).status == Section.Status.PENDING


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("step", "status", "code"),
    [(0, 422, "invalid_request"), (-1, 422, "invalid_request"), (5, 400, "invalid_step"), (99, 400, "invalid_step")],
)
def test_regenerate_a_step_that_does_not_exist_is_refused(api, finished_run, step, status, code):
    # Steps count from 1 (the schema says so: 422); a step beyond the run's plan is a 400.
    body = assert_error(
        post_json(api, f"/api/runs/{finished_run.tutorial_id}/sections/{step}/regenerate", {}), status, code
    )
    assert str(step) in body["message"] or "greater than or equal to 1" in body["message"]
    run = Run.objects.get(pk=finished_run.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert not OrmQ.objects.exists()


def test_regenerate_a_queued_run_is_a_409(api, author):
    run = run_of(author)
    assert_error(post_json(api, f"/api/runs/{run.tutorial_id}/sections/1/regenerate", {}), 409, "invalid_transition")


def test_regenerate_before_the_outline_is_a_409(api, author):
    run = set_status(run_of(author), RunStatus.FAILED)
    body = assert_error(
        post_json(api, f"/api/runs/{run.tutorial_id}/sections/1/regenerate", {}), 409, "invalid_transition"
    )
    assert "no outline" in body["message"]


def test_regenerate_with_a_bad_body_is_a_422(api, author):
    run = run_of(author)
    url = f"/api/runs/{run.tutorial_id}/sections/1/regenerate"
    assert_error(post_json(api, url, {"instruction": "x" * 1001}), 422, "invalid_request")
    assert_error(post_json(api, url.replace("/1/", "/one/"), {}), 422, "invalid_request")


def test_regenerate_with_a_body_that_is_not_json_is_a_400(api, author):
    run = run_of(author)
    response = api.post(f"/api/runs/{run.tutorial_id}/sections/1/regenerate", "{oops", content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_regenerate_an_unknown_run_is_a_404(api):
    assert_error(post_json(api, "/api/runs/nothing-here/sections/1/regenerate", {}), 404, "not_found")


# --- GET /runs/{ref}/artifacts/{kind} ----------------------------------------------------------


def fetch(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.mark.django_db(transaction=True)
def test_artifacts_are_served_as_stored(api, finished_run):
    base = f"/api/runs/{finished_run.tutorial_id}/artifacts"
    version = NotebookVersion.objects.get(run=finished_run)
    response = api.get(f"{base}/notebook")
    assert fetch(response) == version.ipynb.encode("utf-8")
    assert response["Content-Type"] == "application/x-ipynb+json"
    assert response["Content-Disposition"] == 'inline; filename="notebook.ipynb"'
    assert response["ETag"] == f'"{hashlib.sha256(version.ipynb.encode()).hexdigest()}"'
    assert fetch(api.get(f"{base}/notebook", {"version": 1})) == version.ipynb.encode("utf-8")

    metrics = json.loads(fetch(api.get(f"{base}/metrics")))
    assert metrics["tutorial_id"] == finished_run.tutorial_id
    assert fetch(api.get(f"{base}/validation")).decode().startswith("#")
    manifest = json.loads(fetch(api.get(f"{base}/manifest")))
    assert {entry["name"] for entry in manifest["files"]} >= {"notebook.ipynb", "sections/03.json"}

    section = json.loads(fetch(api.get(f"{base}/section", {"step": 3})))
    assert section == finished_run.sections.get(index=2).data


@pytest.mark.django_db(transaction=True)
def test_artifacts_of_a_missing_version_step_or_file_are_a_404(api, finished_run):
    base = f"/api/runs/{finished_run.tutorial_id}/artifacts"
    assert_error(api.get(f"{base}/notebook", {"version": 2}), 404, "not_found")
    assert_error(api.get(f"{base}/section", {"step": 5}), 404, "not_found")
    default_storage.delete(Artifact.objects.get(run=finished_run, kind="metrics").path)
    body = assert_error(api.get(f"{base}/metrics"), 404, "not_found")
    assert "missing" in body["message"]


@pytest.mark.django_db(transaction=True)
def test_a_section_artifact_needs_its_step(api, finished_run):
    body = assert_error(api.get(f"/api/runs/{finished_run.tutorial_id}/artifacts/section"), 400, "step_required")
    assert "?step=" in body["message"]


@pytest.mark.parametrize(
    ("path", "query"),
    [("secrets", {}), ("notebook", {"version": 0}), ("section", {"step": 0}), ("notebook", {"version": "latest"})],
)
def test_bad_artifact_requests_are_a_422(api, author, path, query):
    run = run_of(author)
    assert_error(api.get(f"/api/runs/{run.tutorial_id}/artifacts/{path}", query), 422, "invalid_request")


def test_a_run_without_artifacts_answers_404(api, author):
    run = run_of(author)
    body = assert_error(api.get(f"/api/runs/{run.tutorial_id}/artifacts/notebook"), 404, "not_found")
    assert run.tutorial_id in body["message"]


def test_artifacts_of_an_unknown_run_are_a_404(api):
    assert_error(api.get("/api/runs/nothing-here/artifacts/notebook"), 404, "not_found")


# --- what a read costs in queries ----------------------------------------------------------------


@pytest.fixture
def no_rate_limit(settings) -> None:
    # The limiter's own queries depend on the clock (a new minute opens a new window): off, the
    # counts below are the reads' alone.
    settings.ALAIN = {**settings.ALAIN, "API_RATE_PER_MINUTE": 0}


def with_versions(run: Run, count: int) -> Run:
    for number in range(1, count + 1):
        NotebookVersion.objects.create(run=run, number=number, ipynb="{}", sha256=f"{number:064x}")
    return run


def queries_to_get(client, path: str) -> int:
    """Queries of one GET of `path`, after a first one (a token's first use records when it was used)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_list_shows_each_runs_newest_version(api, author):
    runs = [with_versions(run_of(author), count) for count in (0, 1, 3)]
    items = {item["id"]: item["latest_version"] for item in api.get("/api/runs").json()["items"]}
    assert items[runs[0].tutorial_id] is None
    assert items[runs[1].tutorial_id]["number"] == 1
    assert (items[runs[2].tutorial_id]["number"], items[runs[2].tutorial_id]["sha256"]) == (3, f"{3:064x}")


def test_the_list_costs_as_many_queries_for_ten_runs_as_for_one(api, author, no_rate_limit):
    with_versions(run_of(author, team="blue"), 2)
    one = queries_to_get(api, "/api/runs")
    for _ in range(9):
        with_versions(run_of(author, team="blue"), 2)
    ten = queries_to_get(api, "/api/runs")
    assert api.get("/api/runs").json()["count"] == 10
    assert ten == one


@pytest.mark.django_db(transaction=True)
def test_the_detail_of_a_finished_run_costs_a_bounded_number_of_queries(api, finished_run, no_rate_limit):
    # The token, the admin check, the run, its latest version, events, sections, teacher calls,
    # the latest version's findings (one GROUP BY) and artifacts (with their version's number):
    # a query per row of any of these would exceed it.
    assert queries_to_get(api, f"/api/runs/{finished_run.tutorial_id}") <= 9
