"""`/api/validate` and `/api/validations/{id}`: reports at once, executing jobs, refusals, visibility."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import timedelta
from typing import Any

import nbformat
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_q.models import OrmQ
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from generation import tasks, validation_jobs
from generation.models import Finding, NotebookVersion, Run, ValidationJob
from generation.pipeline.runner import execute_run
from generation.pipeline.validators.scoring import QUALITY_PASS_MARK
from providers.demo import DemoTeacher
from tests.generation.factories import make_run
from tests.generation.pipeline.test_assembly import demo_notebook

pytestmark = pytest.mark.django_db

VALIDATE = "/api/validate"
FINDING_KEYS = {"validator", "code", "severity", "cell_index", "message", "fixable"}


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode("utf-8") if isinstance(data, str) else data)


def ipynb(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb)


def broken_notebook() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# A foreign notebook"),
            new_code_cell("print('fine')"),
            new_code_cell("def broken(:\n    pass"),
        ]
    )


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


def demo_run(user, team: str = "blue") -> Run:
    run = make_run(created_by=user, team=Group.objects.get(name=team))
    return execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))


def stored_state(version: NotebookVersion) -> tuple[Any, ...]:
    version.refresh_from_db()
    findings = list(Finding.objects.filter(version=version).order_by("id").values_list("validator", "code", "message"))
    return version.ipynb, version.sha256, version.passed, version.quality_score, version.validation_summary, findings


# --- static validation of an upload -------------------------------------------------------------


def test_a_good_manual_is_reported_at_once_as_passing(api):
    response = api.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook()))})
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["name"] == "good.ipynb"
    assert report["passed"] is True and report["executed"] is False
    assert report["counts"]["error"] == 0
    assert report["quality_score"] >= QUALITY_PASS_MARK
    assert {"schema", "code", "secrets", "structure"} <= set(report["durations_ms"])
    assert all(set(finding) == FINDING_KEYS for finding in report["findings"])
    assert report["validation_md"].startswith("# Validation of good.ipynb\n\n**PASSED**")
    assert "execution: not run" in report["validation_md"]
    assert not ValidationJob.objects.exists(), "a static validation answers at once, without a job"


def test_a_broken_notebook_is_reported_with_its_findings_by_cell(api):
    response = api.post(VALIDATE, {"file": upload("broken.ipynb", ipynb(broken_notebook()))})
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["passed"] is False
    assert report["quality_score"] < QUALITY_PASS_MARK
    parse = [f for f in report["findings"] if f["validator"] == "code" and f["cell_index"] == 2]
    assert parse and parse[0]["severity"] == "error"
    assert report["counts"]["error"] == sum(1 for f in report["findings"] if f["severity"] == "error") >= 1
    assert report["counts"]["warning"] == sum(1 for f in report["findings"] if f["severity"] == "warning")
    assert "**FAILED**" in report["validation_md"] and "Cell 2 (code)" in report["validation_md"]


def test_a_notebook_that_breaks_the_schema_in_a_detail_is_validated_and_the_breach_reported(api):
    data = json.loads(ipynb(demo_notebook()))
    data["cells"][0]["unexpected_key"] = True
    response = api.post(VALIDATE, {"file": upload("odd.ipynb", json.dumps(data))})
    assert response.status_code == 200, response.content
    [schema] = [f for f in response.json()["findings"] if f["validator"] == "schema"]
    assert (schema["code"], schema["severity"]) == ("nbformat-invalid", "error")
    assert response.json()["passed"] is False


def test_a_read_only_token_may_validate_statically(bearer_client, author):
    client = bearer_client(author, read_only=True)
    response = client.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook())), "execute": "false"})
    assert response.status_code == 200, response.content
    assert response.json()["passed"] is True


@pytest.mark.parametrize(
    ("name", "data", "code", "says"),
    [
        ("manual.txt", "{}", "unsupported_file_type", "Only Jupyter notebooks (.ipynb)"),
        ("manual.json", '{"cells": [], "nbformat": 4}', "unsupported_file_type", "manual.json is not one"),
        ("manual.ipynb", b"\xff\xfe not text", "invalid_notebook", "not UTF-8 JSON"),
        ("manual.ipynb", "{not json", "invalid_notebook", "not UTF-8 JSON"),
        ("manual.ipynb", "[1, 2, 3]", "invalid_notebook", "not a Jupyter notebook"),
        ("manual.ipynb", '{"metadata": {}, "nbformat": 4}', "invalid_notebook", "'cells' list"),
        ("manual.ipynb", '{"cells": [], "nbformat": 3}', "unsupported_notebook_version", "format 3"),
        ("manual.ipynb", '{"cells": ["a cell?"], "nbformat": 4}', "invalid_notebook", "a cell is malformed"),
    ],
)
def test_a_file_that_is_not_a_v4_notebook_is_refused_with_a_400(api, name, data, code, says):
    body = assert_error(api.post(VALIDATE, {"file": upload(name, data)}), 400, code)
    assert says in body["message"]
    assert not ValidationJob.objects.exists()


def test_a_folder_in_the_uploaded_name_is_dropped(api):
    response = api.post(VALIDATE, {"file": upload("../../etc/good.ipynb", ipynb(demo_notebook()))})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "good.ipynb"


def test_a_notebook_larger_than_the_body_limit_is_a_413(api, settings):
    settings.ALAIN = {**settings.ALAIN, "API_MAX_BODY_BYTES": 2000}
    body = assert_error(
        api.post(VALIDATE, {"file": upload("big.ipynb", ipynb(demo_notebook()))}), 413, "body_too_large"
    )
    assert "2000" in body["message"]


def test_nothing_to_validate_or_two_things_are_refused(api, author):
    assert_error(api.post(VALIDATE, {"execute": "false"}), 400, "missing_notebook")
    run = demo_run(author)
    both = {"file": upload("good.ipynb", ipynb(demo_notebook())), "run": run.tutorial_id}
    assert_error(api.post(VALIDATE, both), 400, "ambiguous_input")
    with_version = {"file": upload("good.ipynb", ipynb(demo_notebook())), "version": "1"}
    assert_error(api.post(VALIDATE, with_version), 400, "ambiguous_input")


def test_form_fields_of_the_wrong_type_are_a_422(api):
    response = api.post(VALIDATE, {"run": "x", "version": "first"})
    assert_error(response, 422, "invalid_request")
    response = api.post(VALIDATE, {"file": upload("good.ipynb", "{}"), "execute": "perhaps"})
    assert_error(response, 422, "invalid_request")


def test_validation_needs_credentials(client):
    response = client.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook()))})
    assert_error(response, 401, "unauthenticated")


# --- static validation of a stored version --------------------------------------------------------


def test_a_stored_version_is_validated_and_its_stored_findings_are_left_alone(api, author):
    run = demo_run(author)
    version = run.versions.get()
    Finding.objects.create(version=version, validator="reviewer", code="kept", severity="info", message="Kept.")
    before = stored_state(version)
    response = api.post(VALIDATE, {"run": run.tutorial_id})
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["name"] == f"{run.tutorial_id} v1"
    assert report["passed"] is True and report["executed"] is False
    assert all(f["code"] != "kept" for f in report["findings"]), "the checks ran again, fresh"
    assert report["validation_md"].startswith(f"# Validation of {run.tutorial_id} v1")
    assert stored_state(version) == before, "the version's bytes, verdict and findings are unchanged"


def test_a_stored_version_is_named_by_public_id_and_number(api, author):
    run = demo_run(author)
    response = api.post(VALIDATE, {"run": str(run.public_id), "version": "1"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == f"{run.tutorial_id} v1"
    body = assert_error(api.post(VALIDATE, {"run": run.tutorial_id, "version": "7"}), 404, "not_found")
    assert body["message"] == f"Run {run.tutorial_id} has no version 7."


def test_a_run_without_a_version_has_nothing_to_validate(api, author):
    run = make_run(created_by=author, team=Group.objects.get(name="blue"))
    body = assert_error(api.post(VALIDATE, {"run": run.tutorial_id}), 404, "not_found")
    assert "no notebook version yet" in body["message"]


def test_another_users_run_is_a_404_like_an_unknown_one(bearer_client, author, other_author):
    run = demo_run(author)
    client = bearer_client(other_author)
    for ref in (run.tutorial_id, str(run.public_id), "no-such-run", str(uuid.uuid4())):
        assert_error(client.post(VALIDATE, {"run": ref}), 404, "not_found")
        assert_error(client.post(VALIDATE, {"run": ref, "execute": "true"}), 404, "not_found")
    assert not ValidationJob.objects.exists()


def test_a_teammate_reviewer_may_validate_the_run(bearer_client, author, reviewer):
    run = demo_run(author)
    response = bearer_client(reviewer).post(VALIDATE, {"run": run.tutorial_id})
    assert response.status_code == 200, response.content


# --- executing validation: jobs -------------------------------------------------------------------


def test_execution_is_queued_as_a_job_and_answered_202(api, author):
    text = ipynb(broken_notebook())
    response = api.post(VALIDATE, {"file": upload("broken.ipynb", text), "execute": "true"})
    assert response.status_code == 202, response.content
    body = response.json()
    job = ValidationJob.objects.get()
    assert body == {"id": str(job.public_id), "status": "queued", "status_url": f"/api/validations/{job.public_id}"}
    assert response["Location"] == body["status_url"]
    assert (job.created_by, job.name, job.ipynb, job.version, job.execute) == (author, "broken.ipynb", text, None, True)
    [task] = OrmQ.objects.all()
    assert (task.func(), task.args()) == ("generation.tasks.validate_job", (job.pk,))


def test_execution_of_a_stored_version_is_queued_without_copying_the_notebook(api, author):
    run = demo_run(author)
    response = api.post(VALIDATE, {"run": run.tutorial_id, "execute": "true"})
    assert response.status_code == 202, response.content
    job = ValidationJob.objects.get()
    assert (job.version, job.ipynb, job.name) == (run.versions.get(), "", f"{run.tutorial_id} v1")
    status = api.get(response.json()["status_url"]).json()
    assert (status["run"], status["version"], status["status"], status["report"]) == (
        run.tutorial_id,
        1,
        "queued",
        None,
    )


def test_a_read_only_token_cannot_queue_an_execution(bearer_client, author):
    client = bearer_client(author, read_only=True)
    response = client.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook())), "execute": "true"})
    body = assert_error(response, 403, "read_only_token")
    assert "read-only" in body["message"]
    assert not ValidationJob.objects.exists() and not OrmQ.objects.exists()


def test_a_job_is_seen_by_its_creator_and_an_admin_only(api, bearer_client, make_user, author, reviewer):
    api.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook())), "execute": "true"})
    job = ValidationJob.objects.get()
    url = f"/api/validations/{job.public_id}"
    status = api.get(url)
    assert status.status_code == 200, status.content
    assert status.json()["status"] == "queued" and status.json()["name"] == "good.ipynb"
    # A teammate sees the team's runs, but not someone else's validations.
    assert_error(bearer_client(reviewer).get(url), 404, "not_found")
    admin = make_user("adam", roles=("admins",))
    assert bearer_client(admin).get(url).status_code == 200
    assert_error(api.get(f"/api/validations/{uuid.uuid4()}"), 404, "not_found")
    assert_error(api.get(f"/api/validations/{job.pk}"), 404, "not_found")


@pytest.fixture
def static_worker(monkeypatch) -> list[tuple[bool, int, int]]:
    """The worker's checks without the sandbox: static only, recording how execution was asked for."""
    calls = []
    real = validation_jobs.check_notebook

    def static_only(nb, *, execute, cell_timeout, total_timeout):
        calls.append((execute, cell_timeout, total_timeout))
        return real(nb, execute=False)

    monkeypatch.setattr(validation_jobs, "check_notebook", static_only)
    return calls


def test_the_task_stores_the_report_on_the_job(api, static_worker, settings):
    api.post(VALIDATE, {"file": upload("broken.ipynb", ipynb(broken_notebook())), "execute": "true"})
    job = ValidationJob.objects.get()
    assert tasks.validate_job(job.pk) == f"validation job {job.pk}: done, failed"
    assert static_worker == [(True, settings.ALAIN["EXEC_CELL_TIMEOUT"], settings.ALAIN["EXEC_TOTAL_TIMEOUT"])]
    status = api.get(f"/api/validations/{job.public_id}").json()
    assert status["status"] == "done" and status["started_at"] and status["finished_at"]
    assert status["report"]["passed"] is False and status["report"]["name"] == "broken.ipynb"
    assert status["report"]["validation_md"].startswith("# Validation of broken.ipynb")
    # A second delivery of the task finds the job done and changes nothing.
    before = ValidationJob.objects.filter(pk=job.pk).values().get()
    assert tasks.validate_job(job.pk) == f"skipped: validation job {job.pk} is done"
    assert ValidationJob.objects.filter(pk=job.pk).values().get() == before
    assert tasks.validate_job(987654) == "skipped: validation job 987654 does not exist"


def test_a_job_that_cannot_finish_fails_with_the_reason(api, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("the kernel vanished")

    monkeypatch.setattr(validation_jobs, "check_notebook", crash)
    api.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook())), "execute": "true"})
    job = ValidationJob.objects.get()
    assert tasks.validate_job(job.pk) == f"validation job {job.pk}: failed"
    status = api.get(f"/api/validations/{job.public_id}").json()
    assert status["status"] == "failed" and status["report"] is None
    assert status["error"] == "The validation could not finish: RuntimeError: the kernel vanished"


def test_a_job_whose_worker_died_is_taken_over_but_a_live_one_is_not(api, static_worker, settings):
    api.post(VALIDATE, {"file": upload("good.ipynb", ipynb(demo_notebook())), "execute": "true"})
    job = ValidationJob.objects.get()
    ValidationJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert tasks.validate_job(job.pk) == f"skipped: validation job {job.pk} is running"
    silent = settings.ALAIN["EXEC_TOTAL_TIMEOUT"] + validation_jobs.TAKEOVER_GRACE_SECONDS + 1
    ValidationJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(seconds=silent))
    assert tasks.validate_job(job.pk) == f"validation job {job.pk}: done, passed"


@pytest.mark.notebook_exec
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="the execution sandbox needs bubblewrap (bwrap)")
def test_an_executed_job_reports_the_cell_that_raised(api, settings):
    settings.ALAIN = {**settings.ALAIN, "EXEC_CELL_TIMEOUT": 20, "EXEC_TOTAL_TIMEOUT": 120}
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Division"),
            new_code_cell("print('before')"),
            new_code_cell("print(1 / 0)"),
        ]
    )
    response = api.post(VALIDATE, {"file": upload("division.ipynb", ipynb(nb)), "execute": "true"})
    assert response.status_code == 202, response.content
    job = ValidationJob.objects.get()
    assert tasks.validate_job(job.pk) == f"validation job {job.pk}: done, failed"
    status = api.get(response.json()["status_url"]).json()
    report = status["report"]
    assert status["status"] == "done" and report["executed"] is True
    assert "execution" in report["durations_ms"]
    [error] = [f for f in report["findings"] if f["validator"] == "execution" and f["code"] == "cell-error"]
    assert error["cell_index"] == 2 and "ZeroDivisionError" in error["message"]
    assert "execution: not run" not in report["validation_md"]
