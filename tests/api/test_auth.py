"""Who may call the API and what they may see: tokens, sessions with CSRF, roles, other users' runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from alain_site.accounts.models import ApiToken
from alain_site.accounts.tokens import revoke_token
from generation.models import Run, RunStatus, Section
from generation.pipeline.runner import execute_run
from tests.api.conftest import post_json
from tests.generation.factories import SAMPLE_CARD, make_run

pytestmark = pytest.mark.django_db

NOTEBOOK_BODY = {"source": {"kind": "text", "text": SAMPLE_CARD}, "options": {"provider": "demo", "execute": False}}
OUTLINE_BODY = {"source": {"kind": "text", "text": SAMPLE_CARD}, "options": {"provider": "demo", "max_sections": 3}}


def run_of(user: User | None, *, team: str | None = None, status: str = RunStatus.QUEUED) -> Run:
    overrides: dict[str, Any] = {"created_by": user}
    if team is not None:
        overrides["team"] = Group.objects.get_or_create(name=team)[0]
    run = make_run(**overrides)
    Run.objects.filter(pk=run.pk).update(status=status, completed_stages=["research", "outline"])
    Section.objects.create(run=run, index=0, title="Step one", status=Section.Status.DONE)
    run.refresh_from_db()
    return run


def snapshot(run: Run) -> tuple:
    run = Run.objects.get(pk=run.pk)
    return (run.status, list(run.completed_stages), run.updated_at, list(run.sections.values_list("status", flat=True)))


def every_route(run: Run) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every route of /generate and /runs."""
    ref = run.tutorial_id
    return [
        ("post", "/api/generate/outline", OUTLINE_BODY),
        ("post", "/api/generate/section", {"outline": {}, "research": {}, "index": 0}),
        ("post", "/api/generate/notebook", NOTEBOOK_BODY),
        ("get", "/api/runs", None),
        ("get", f"/api/runs/{ref}", None),
        ("post", f"/api/runs/{ref}/cancel", None),
        ("post", f"/api/runs/{ref}/retry", None),
        ("post", f"/api/runs/{ref}/sections/1/regenerate", {}),
        ("get", f"/api/runs/{ref}/artifacts/notebook", None),
    ]


def call(client: Client, method: str, path: str, body: Any = None, **extra: Any):
    if method == "get":
        return client.get(path, **extra)
    return client.post(path, body if body is not None else "", content_type="application/json", **extra)


def assert_unauthenticated(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "unauthenticated"
    assert "Bearer" in response.json()["message"]
    assert response["WWW-Authenticate"] == 'Bearer realm="alain"'


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


# --- Missing and bad credentials ---------------------------------------------------------------


def test_every_route_needs_credentials(author):
    run = run_of(author)
    before = snapshot(run)
    for method, path, body in every_route(run):
        assert_unauthenticated(call(Client(), method, path, body))
    assert snapshot(run) == before
    assert Run.objects.count() == 1 and not OrmQ.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer alain_" + "x" * 43,
        "Bearer not-even-a-token",
        "Bearer " + "alain_" + "y" * 300,
        "Bearer ",
        "Token alain_abc",
        "Basic YW5uOmEtbG9uZy1wYXNzd29yZC0xMjM=",
    ],
)
def test_a_wrong_token_is_a_401(author, header):
    run = run_of(author)
    for method, path, body in every_route(run):
        assert_unauthenticated(call(Client(HTTP_AUTHORIZATION=header), method, path, body))


def test_a_valid_token_works_and_its_use_is_recorded(api, author):
    response = api.get("/api/runs")
    assert response.status_code == 200, response.content
    token = ApiToken.objects.get(user=author)
    assert token.last_used_at is not None
    assert api.raw_key not in response.content.decode()


def test_a_revoked_token_is_a_401(bearer_client, author):
    client = bearer_client(author)
    assert client.get("/api/runs").status_code == 200
    revoke_token(author, ApiToken.objects.get(user=author).pk)
    run = run_of(author)
    for method, path, body in every_route(run):
        assert_unauthenticated(call(client, method, path, body))
    assert Run.objects.count() == 1


def test_an_expired_token_is_a_401(bearer_client, author):
    client = bearer_client(author, expires_in_days=1)
    assert client.get("/api/runs").status_code == 200
    ApiToken.objects.filter(user=author).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthenticated(client.get("/api/runs"))
    assert_unauthenticated(post_json(client, "/api/generate/notebook", NOTEBOOK_BODY))
    assert not Run.objects.exists()


def test_a_token_of_an_inactive_user_is_a_401(bearer_client, author):
    client = bearer_client(author)
    User.objects.filter(pk=author.pk).update(is_active=False)
    assert_unauthenticated(client.get("/api/runs"))
    assert_unauthenticated(post_json(client, "/api/generate/notebook", NOTEBOOK_BODY))
    assert not Run.objects.exists()


# --- Read-only tokens and roles ----------------------------------------------------------------


def test_a_read_only_token_reads_but_changes_nothing(bearer_client, author):
    client = bearer_client(author, read_only=True)
    run = run_of(author, status=RunStatus.FAILED)
    before = snapshot(run)
    assert client.get("/api/runs").json()["count"] == 1
    assert client.get(f"/api/runs/{run.tutorial_id}").status_code == 200
    for method, path, body in every_route(run):
        if method == "post":
            body = assert_error(call(client, method, path, body), 403, "read_only_token")
            assert "read-only" in body["message"] and client.raw_key not in body["message"]
    assert snapshot(run) == before
    assert Run.objects.count() == 1 and not OrmQ.objects.exists()


def test_a_reviewer_cannot_generate_or_act_on_a_team_run(bearer_client, author, reviewer):
    client = bearer_client(reviewer)
    run = run_of(author, team="blue", status=RunStatus.SUCCEEDED)
    before = snapshot(run)
    for method, path, body in every_route(run):
        if method == "post":
            answer = assert_error(call(client, method, path, body), 403, "author_role_required")
            assert "author role" in answer["message"]
    assert snapshot(run) == before
    assert Run.objects.count() == 1 and not OrmQ.objects.exists()


def test_a_teammate_sees_a_run_made_for_the_team(api, bearer_client, reviewer, other_author):
    response = post_json(api, "/api/generate/notebook", {**NOTEBOOK_BODY, "options": {"team": "blue"}})
    assert response.status_code == 202, response.content
    ref = response.json()["id"]
    teammate = bearer_client(reviewer)
    detail = teammate.get(f"/api/runs/{ref}")
    assert detail.status_code == 200, detail.content
    assert (detail.json()["team"], detail.json()["created_by"]) == ("blue", "ann")
    assert [item["id"] for item in teammate.get("/api/runs").json()["items"]] == [ref]
    assert [item["id"] for item in teammate.get("/api/runs", {"scope": "team"}).json()["items"]] == [ref]
    # The other team does not see it at all.
    outsider = bearer_client(other_author)
    assert_error(outsider.get(f"/api/runs/{ref}"), 404, "not_found")
    assert outsider.get("/api/runs").json()["count"] == 0


def test_a_run_without_a_team_is_seen_by_its_author_only(api, bearer_client, reviewer):
    response = post_json(api, "/api/generate/notebook", NOTEBOOK_BODY)
    ref = response.json()["id"]
    assert api.get(f"/api/runs/{ref}").status_code == 200
    assert_error(bearer_client(reviewer).get(f"/api/runs/{ref}"), 404, "not_found")


# --- Another user's run ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.FAILED, RunStatus.SUCCEEDED])
def test_another_users_run_is_a_404_everywhere_and_stays_unchanged(bearer_client, other_author, author, status):
    run = run_of(other_author, team="red", status=status)
    before = snapshot(run)
    client = bearer_client(author)
    for ref in (run.tutorial_id, str(run.public_id)):
        for method, path, body in every_route(run)[4:]:
            path = path.replace(run.tutorial_id, ref)
            body = assert_error(call(client, method, path, body), 404, "not_found")
            assert run.subject_model not in body["message"]
    assert snapshot(run) == before
    assert not OrmQ.objects.exists()


def test_another_users_run_answers_like_a_run_that_does_not_exist(api, other_author):
    run = run_of(other_author)
    theirs = api.get(f"/api/runs/{run.tutorial_id}")
    missing = api.get("/api/runs/no-such-run-000000")
    assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())


def test_a_read_only_token_or_a_reviewer_gets_404_not_403_for_an_invisible_run(bearer_client, author, make_user):
    run = run_of(author)
    outsider = make_user("rob", roles=("reviewers",), teams=("green",))
    for client in (bearer_client(outsider), bearer_client(outsider, read_only=True)):
        assert_error(client.post(f"/api/runs/{run.tutorial_id}/cancel"), 404, "not_found")


# --- The portal's session ----------------------------------------------------------------------


def signed_in(user: User) -> tuple[Client, str]:
    """A CSRF-enforcing client signed in to the portal, and the CSRF token a portal page gave it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/runs/")
    assert page.status_code == 200
    return client, client.cookies["csrftoken"].value


def test_a_signed_in_session_reads_without_csrf(author):
    run = run_of(author)
    client, _ = signed_in(author)
    assert client.get("/api/runs").json()["count"] == 1
    assert client.get(f"/api/runs/{run.tutorial_id}").json()["id"] == run.tutorial_id


def test_a_session_post_without_the_csrf_token_is_refused(author):
    client, _ = signed_in(author)
    run = run_of(author)
    before = snapshot(run)
    body = assert_error(post_json(client, "/api/generate/notebook", NOTEBOOK_BODY), 403, "csrf_failed")
    assert "X-CSRFToken" in body["message"]
    assert_error(client.post(f"/api/runs/{run.tutorial_id}/cancel"), 403, "csrf_failed")
    assert_error(
        post_json(client, "/api/generate/notebook", NOTEBOOK_BODY, HTTP_X_CSRFTOKEN="wrong" * 7), 403, "csrf_failed"
    )
    assert snapshot(run) == before
    assert Run.objects.count() == 1


def test_a_session_post_with_the_csrf_token_works(author):
    client, csrf = signed_in(author)
    response = post_json(client, "/api/generate/notebook", NOTEBOOK_BODY, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 202, response.content
    run = Run.objects.get(tutorial_id=response.json()["id"])
    assert run.created_by == author
    cancel = client.post(f"/api/runs/{run.tutorial_id}/cancel", HTTP_X_CSRFTOKEN=csrf)
    assert cancel.status_code == 200, cancel.content
    assert Run.objects.get(pk=run.pk).status == RunStatus.CANCELLED


def test_a_signed_out_session_is_a_401(author):
    client, _ = signed_in(author)
    client.logout()
    assert_unauthenticated(client.get("/api/runs"))


def test_a_session_of_an_inactive_user_is_a_401(author):
    client, _ = signed_in(author)
    User.objects.filter(pk=author.pk).update(is_active=False)
    assert_unauthenticated(client.get("/api/runs"))


def test_a_token_needs_no_csrf_token(author, bearer_client):
    token_client = bearer_client(author)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=token_client.defaults["HTTP_AUTHORIZATION"])
    response = post_json(client, "/api/generate/notebook", NOTEBOOK_BODY)
    assert response.status_code == 202, response.content


def test_a_reviewer_session_cannot_generate(reviewer):
    client, csrf = signed_in(reviewer)
    assert_error(
        post_json(client, "/api/generate/notebook", NOTEBOOK_BODY, HTTP_X_CSRFTOKEN=csrf), 403, "author_role_required"
    )
    assert not Run.objects.exists()


# --- The schema declares what the routes answer ------------------------------------------------

# Every status the tests of these routes observe (test_auth, test_generate, test_runs, test_limits).
OBSERVED = {
    ("post", "/api/generate/outline"): {200, 400, 401, 403, 413, 422, 429, 502, 503},
    ("post", "/api/generate/section"): {200, 400, 401, 403, 413, 422, 429, 502, 503},
    ("post", "/api/generate/notebook"): {202, 400, 401, 403, 413, 422, 429},
    ("get", "/api/runs"): {200, 401, 422, 429},
    ("get", "/api/runs/{ref}"): {200, 401, 404, 429},
    ("post", "/api/runs/{ref}/cancel"): {200, 401, 403, 404, 409, 429},
    ("post", "/api/runs/{ref}/retry"): {202, 401, 403, 404, 409, 429},
    ("post", "/api/runs/{ref}/sections/{n}/regenerate"): {202, 400, 401, 403, 404, 409, 413, 422, 429},
    ("get", "/api/runs/{ref}/artifacts/{kind}"): {200, 400, 401, 404, 422, 429},
}


def test_the_openapi_schema_declares_every_status_observed():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    declared = {
        (method, path): {int(status) for status in operation["responses"]}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    for route, statuses in OBSERVED.items():
        assert route in declared, route
        assert statuses <= declared[route], (route, statuses - declared[route])


def test_every_authenticated_operation_declares_401_and_429_and_error_bodies():
    schema = Client().get("/api/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue
            checked += 1
            statuses = {int(status) for status in operation["responses"]}
            assert {401, 429} <= statuses, (method, path)
            for status in statuses - {200, 201, 202, 204}:
                content = operation["responses"][str(status)].get("content", {})
                ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                assert ref.endswith("/ErrorOut"), (method, path, status)
    assert checked >= len(OBSERVED)
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "PortalSessionAuth"}


def assert_conforms(schema: dict[str, Any], method: str, path: str, response) -> None:
    """The response's JSON body is valid against what the schema declares for its status."""
    declared = schema["paths"][path][method]["responses"][str(response.status_code)]
    body_schema = declared["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**body_schema, "components": schema["components"]})
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(response.json())]
    assert not errors, (method, path, response.status_code, errors)


@pytest.mark.django_db(transaction=True)
def test_responses_conform_to_the_openapi_schema(api, author):
    schema = Client().get("/api/openapi.json").json()
    outline = post_json(api, "/api/generate/outline", OUTLINE_BODY)
    assert_conforms(schema, "post", "/api/generate/outline", outline)
    section = post_json(
        api,
        "/api/generate/section",
        {"outline": outline.json()["outline"], "research": outline.json()["research"], "index": 1},
    )
    assert section.status_code == 200, section.content
    assert_conforms(schema, "post", "/api/generate/section", section)
    assert_conforms(schema, "post", "/api/generate/notebook", post_json(api, "/api/generate/notebook", NOTEBOOK_BODY))
    assert_conforms(schema, "post", "/api/generate/notebook", post_json(api, "/api/generate/notebook", {}))

    run = execute_run(make_run(created_by=author).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    ref = run.tutorial_id
    for path, url in [
        ("/api/runs", "/api/runs"),
        ("/api/runs", "/api/runs?page=0"),
        ("/api/runs/{ref}", f"/api/runs/{ref}"),
        ("/api/runs/{ref}", "/api/runs/missing"),
        ("/api/runs/{ref}/artifacts/{kind}", f"/api/runs/{ref}/artifacts/section"),
    ]:
        assert_conforms(schema, "get", path, api.get(url))
    for path, url in [
        ("/api/runs/{ref}/cancel", f"/api/runs/{ref}/cancel"),
        ("/api/runs/{ref}/retry", f"/api/runs/{ref}/retry"),
        ("/api/runs/{ref}/sections/{n}/regenerate", f"/api/runs/{ref}/sections/9/regenerate"),
        ("/api/runs/{ref}/sections/{n}/regenerate", f"/api/runs/{ref}/sections/1/regenerate"),
        ("/api/runs/{ref}/cancel", f"/api/runs/{ref}/cancel"),
        ("/api/runs/{ref}/retry", f"/api/runs/{ref}/retry"),
    ]:
        assert_conforms(schema, "post", path, post_json(api, url, {}))
    assert_conforms(schema, "get", "/api/runs", Client().get("/api/runs"))
