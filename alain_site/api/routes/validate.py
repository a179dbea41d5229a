"""`/api/validate` and `/api/validations/{id}`: validate any notebook, or a stored run version.

Static validation answers at once and may be asked by any caller, read-only tokens included: it
only reads. Execution runs in the sandbox on a worker, so it is a job (202, poll its status URL)
that only tokens allowed to write may create. Either way the report is only returned: a stored
version's own findings are never replaced (see `generation.validation_jobs`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from nbformat import NotebookNode
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from alain_site.api.auth import require_write
from alain_site.api.errors import ApiError, responses
from generation import validation_jobs
from generation.models import NotebookVersion, ValidationJob
from generation.validation_jobs import NotebookRejected
from generation.views.access import visible_run_or_404

router = Router(tags=["validate"])


class FindingOut(Schema):
    validator: str
    code: str
    severity: str = Field(..., description="error, warning or info; any error fails the notebook.")
    cell_index: int | None = Field(..., description="0-based cell, or null for the whole notebook.")
    message: str
    fixable: bool = Field(..., description="ALAIN's auto-fix can repair it.")


class ValidationReportOut(Schema):
    name: str = Field(..., description="The file's name, or '<run id> v<version>'.")
    passed: bool
    quality_score: int = Field(..., description="0-100.")
    counts: dict[str, int] = Field(..., description="Findings by severity: error, warning, info.")
    executed: bool = Field(..., description="The notebook ran in the sandbox.")
    durations_ms: dict[str, float] = Field(..., description="Time each validator took.")
    findings: list[FindingOut]
    validation_md: str = Field(..., description="The same report as validation.md.")


class ValidationQueuedOut(Schema):
    id: str
    status: str
    status_url: str


class ValidationJobOut(Schema):
    id: str
    status: str = Field(..., description="queued, running, done or failed.")
    name: str
    execute: bool
    run: str | None = Field(..., description="The run's tutorial id, for a stored version.")
    version: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str = Field(..., description="Why a failed job could not finish.")
    report: ValidationReportOut | None = Field(..., description="Present once the job is done.")


def status_url(job: ValidationJob) -> str:
    return reverse("api:validation", kwargs={"job_id": str(job.public_id)})


def job_out(job: ValidationJob) -> dict[str, Any]:
    return {
        "id": str(job.public_id),
        "status": job.status,
        "name": job.name,
        "execute": job.execute,
        "run": job.version.run.tutorial_id if job.version_id else None,
        "version": job.version.number if job.version_id else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "report": job.report if job.status == ValidationJob.Status.DONE else None,
    }


def _uploaded(file: UploadedFile) -> tuple[NotebookNode, str, str]:
    """The uploaded notebook, its text and name, or a 4xx saying what is wrong with it."""
    limit = settings.ALAIN["API_MAX_BODY_BYTES"]
    if file.size is not None and file.size > limit:
        # The middleware refuses a long declared body; this catches a chunked upload.
        raise ApiError(413, "body_too_large", f"The notebook is {file.size} bytes; the API accepts at most {limit}.")
    try:
        nb, text = validation_jobs.notebook_from_upload(file.name or "", file.read())
    except NotebookRejected as exc:
        raise ApiError(400, exc.code, exc.message) from exc
    return nb, text, validation_jobs.upload_name(file.name or "")


def _version_of(request: HttpRequest, ref: str, number: int | None) -> NotebookVersion:
    run = visible_run_or_404(request.user, ref)
    version = validation_jobs.stored_version(run, number)
    if version is None:
        which = f"version {number}" if number is not None else "notebook version yet"
        raise ApiError(404, "not_found", f"Run {run.tutorial_id} has no {which}.")
    return version


@router.post(
    "/validate",
    response=responses({200: ValidationReportOut, 202: ValidationQueuedOut}, 400, 403, 404, 413, 422),
    url_name="validate",
)
def validate(
    request: HttpRequest,
    response: HttpResponse,
    file: UploadedFile | None = File(None, description="A Jupyter notebook (.ipynb) to validate."),
    run: str | None = Form(None, max_length=100, description="Or a run (tutorial id or public id)..."),
    version: int | None = Form(None, ge=1, description="...and its version number; the latest if absent."),
    execute: bool = Form(False, description="Also run it in the sandbox: queued, answers 202."),
) -> Status[dict[str, Any]]:
    """Validate an uploaded notebook or a stored run version (multipart form).

    Without `execute`: 200 with the report. With `execute=true`: 202 with a job id and its
    status URL (GET /api/validations/{id}); the report appears there when the job is done.
    """
    if file is not None and run:
        raise ApiError(400, "ambiguous_input", "Send either a notebook file or a run, not both.")
    if file is None and not run:
        raise ApiError(
            400,
            "missing_notebook",
            "Send a notebook as the 'file' field, or name a stored one with 'run' (and 'version').",
        )
    if execute:
        require_write(request)
    if file is not None:
        if version is not None:
            raise ApiError(400, "ambiguous_input", "'version' names a version of a run; it cannot go with a file.")
        nb, text, name = _uploaded(file)
        stored = None
    else:
        stored = _version_of(request, run or "", version)
        nb, text, name = validation_jobs.version_notebook(stored), "", validation_jobs.version_title(stored)
    if execute:
        job = validation_jobs.validation_job_create(created_by=request.user, name=name, ipynb=text, version=stored)
        response["Location"] = status_url(job)
        return Status(202, {"id": str(job.public_id), "status": job.status, "status_url": status_url(job)})
    return Status(200, validation_jobs.validation_report(nb, title=name, execute=False))


@router.get("/validations/{job_id}", response=responses({200: ValidationJobOut}, 404), url_name="validation")
def get_validation(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """An executing validation's status, and its report once done. Only its creator (or an admin) sees it."""
    job = validation_jobs.job_for(request.user, job_id)
    if job is None:
        raise ApiError(404, "not_found", "No validation with that id, or not yours.")
    return job_out(job)
