"""`/api/export`: the approved version's zip, 409 with the reason without one, 404 for others' runs."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from django.contrib.auth.models import Group

from generation.models import Run
from generation.pipeline.runner import execute_run
from providers.demo import DemoTeacher
from review import services
from review.models import Approval, AuditEntry, ExportRecord
from tests.api.conftest import post_json
from tests.generation.factories import make_run
from tests.review.factories import latest, review_of

pytestmark = pytest.mark.django_db

EXPORT = "/api/export"
MEMBERS = [".env.example", "manifest.json", "metrics.json", "notebook.ipynb", "validation.md"]


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


@pytest.fixture
def run(author) -> Run:
    """The author's demo run for team blue; its one version waits in the review queue."""
    made = make_run(created_by=author, team=Group.objects.get(name="blue"))
    return execute_run(made.pk, teacher=DemoTeacher(model="alain-demo"))


def approve(run: Run, reviewer) -> Approval:
    review = services.claim(review_of(latest(run)), reviewer)
    return services.approve(review, reviewer, expected_sha256=latest(run).sha256, comment="Good.")


def members(response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_approved_version_is_exported_as_a_zip_and_recorded(api, author, reviewer, run):
    approval = approve(run, reviewer)
    response = post_json(api, EXPORT, {"run": run.tutorial_id})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{run.tutorial_id}-v1.zip"'
    assert response["Cache-Control"] == "private, no-store"
    files = members(response)
    assert sorted(files) == MEMBERS
    assert files["notebook.ipynb"] == latest(run).ipynb.encode("utf-8")
    assert files["validation.md"].startswith(f"# Validation of {run.tutorial_id} v1".encode())
    manifest = json.loads(files["manifest.json"])
    assert manifest["approval"]["sha256"] == approval.sha256 and manifest["approval"]["approved_by"] == "rita"
    assert json.loads(files["metrics.json"])
    assert b"OPENAI_API_KEY=" in files[".env.example"]
    record = ExportRecord.objects.get()
    assert (record.run, record.version, record.exported_by, record.via) == (run, latest(run), author, "api")
    entry = AuditEntry.objects.get(action="exported")
    assert entry.actor == author and entry.data["via"] == "api"


def test_the_run_may_be_named_by_its_public_id(api, reviewer, run):
    approve(run, reviewer)
    response = post_json(api, EXPORT, {"run": str(run.public_id)})
    assert response.status_code == 200, response.content
    assert sorted(members(response)) == MEMBERS


def test_a_read_only_token_may_export_because_an_export_only_reads(bearer_client, author, reviewer, run):
    approve(run, reviewer)
    response = post_json(bearer_client(author, read_only=True), EXPORT, {"run": run.tutorial_id})
    assert response.status_code == 200, response.content
    assert ExportRecord.objects.get().via == "api"


def test_a_teammate_who_sees_the_run_may_export_it(bearer_client, reviewer, run):
    approve(run, reviewer)
    response = post_json(bearer_client(reviewer), EXPORT, {"run": run.tutorial_id})
    assert response.status_code == 200, response.content
    assert ExportRecord.objects.get().exported_by == reviewer


def test_an_unapproved_run_is_a_409_that_says_why_and_records_nothing(api, run):
    body = assert_error(post_json(api, EXPORT, {"run": run.tutorial_id}), 409, "not_approved")
    assert body["message"] == "Version 1 is waiting for review. Only approved versions can be exported."
    assert not ExportRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="exported").exists()


def test_changes_requested_are_named_in_the_409(api, reviewer, run):
    review = services.claim(review_of(latest(run)), reviewer)
    services.request_changes(review, reviewer, expected_sha256=latest(run).sha256, comment="Shorter steps.")
    body = assert_error(post_json(api, EXPORT, {"run": run.tutorial_id}), 409, "not_approved")
    assert "rita requested changes to version 1: Shorter steps." in body["message"]


def test_an_edit_after_approval_withdraws_it_and_export_answers_409(api, author, reviewer, run):
    approve(run, reviewer)
    assert post_json(api, EXPORT, {"run": run.tutorial_id}).status_code == 200
    services.edit_cell(latest(run), author, index=0, source="# Changed", reason="Better title")
    body = assert_error(post_json(api, EXPORT, {"run": run.tutorial_id}), 409, "not_approved")
    assert "The approval of version 1 was withdrawn" in body["message"]
    assert "version 2" in body["message"].lower()
    assert ExportRecord.objects.count() == 1, "only the export before the edit was recorded"


def test_another_users_run_is_a_404_like_an_unknown_one(bearer_client, other_author, reviewer, run):
    approve(run, reviewer)
    client = bearer_client(other_author)
    for ref in (run.tutorial_id, str(run.public_id), "no-such-run", str(uuid.uuid4())):
        assert_error(post_json(client, EXPORT, {"run": ref}), 404, "not_found")
    assert not ExportRecord.objects.exists()


def test_a_body_without_a_run_is_a_422(api):
    assert_error(post_json(api, EXPORT, {}), 422, "invalid_request")
    assert_error(post_json(api, EXPORT, {"run": ""}), 422, "invalid_request")


def test_export_needs_credentials(client, reviewer, run):
    approve(run, reviewer)
    assert_error(post_json(client, EXPORT, {"run": run.tutorial_id}), 401, "unauthenticated")
    assert not ExportRecord.objects.exists()


def test_the_schema_declares_the_zip_and_every_status(api):
    schema = api.get("/api/openapi.json").json()
    export = schema["paths"]["/api/export"]["post"]["responses"]
    assert "application/zip" in export["200"]["content"]
    assert {"401", "404", "409", "422", "429"} <= set(export)
    validate = schema["paths"]["/api/validate"]["post"]["responses"]
    assert {"200", "202", "400", "401", "403", "404", "413", "422", "429"} <= set(validate)
    job = schema["paths"]["/api/validations/{job_id}"]["get"]["responses"]
    assert {"200", "401", "404", "429"} <= set(job)
