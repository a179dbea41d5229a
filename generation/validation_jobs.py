"""Validation asked for over the API: any notebook checked at once, or executed by a worker.

The checks are the ones the pipeline and `alain validate` run (`check_notebook`), and the report
is the one they write (`render_validation_markdown`). A validation asked for this way only
reports: it never replaces a stored version's findings or bytes. Storing them (`check_version`)
rewrites the version's metadata cell and so its sha256, which would withdraw the version's
approval from under its reviewers; the review pages' revalidation is the way to do that.

A `ValidationJob` exists only for an executing validation. Its status goes queued -> running ->
done or failed. A worker claims a job with one conditional UPDATE, so a task delivered twice
runs it once; a job whose worker died (still running well past the execution timeout) is taken
over by the next delivery of its task.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import nbformat
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alain_site.accounts.roles import is_admin
from generation import queueing
from generation.models import NotebookVersion, Run, ValidationJob
from generation.pipeline.checking import check_notebook
from generation.reports import render_validation_markdown

logger = logging.getLogger(__name__)

VALIDATE_TASK = "generation.tasks.validate_job"
NOTEBOOK_SUFFIX = ".ipynb"
# How long past the execution timeout a running job may stay silent before its worker counts as dead.
TAKEOVER_GRACE_SECONDS = 300


class NotebookRejected(ValueError):
    """An upload that is not a notebook ALAIN can validate; `code` says which check refused it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def upload_name(name: str) -> str:
    """The uploaded file's own name, without any folders the client sent."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


def notebook_from_upload(name: str, data: bytes) -> tuple[nbformat.NotebookNode, str]:
    """The uploaded notebook and its text; raises NotebookRejected when it is not one.

    Refused: another file type, bytes that are not UTF-8 JSON, JSON that is not a notebook, and
    notebooks of another major format than 4. A notebook that breaks the nbformat 4 schema in
    its details is accepted: the `schema` validator reports exactly what is wrong with it.
    """
    name = upload_name(name)
    if not name.lower().endswith(NOTEBOOK_SUFFIX):
        raise NotebookRejected(
            "unsupported_file_type",
            f"Only Jupyter notebooks (.ipynb) can be validated; {name or 'the file'} is not one.",
        )
    try:
        text = data.decode("utf-8")
        content = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookRejected("invalid_notebook", f"{name} is not a notebook: it is not UTF-8 JSON ({exc}).") from None
    return notebook_from_json(content, name=name), text


def notebook_from_json(content: Any, *, name: str) -> nbformat.NotebookNode:
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list) or "nbformat" not in content:
        raise NotebookRejected(
            "invalid_notebook", f"{name} is JSON but not a Jupyter notebook: it needs 'nbformat' and a 'cells' list."
        )
    if content["nbformat"] != 4:
        raise NotebookRejected(
            "unsupported_notebook_version",
            f"{name} is in notebook format {content['nbformat']!r}; only format 4 is validated. "
            "Open it in a current Jupyter and save it again.",
        )
    try:
        # Joins the sources and outputs files store as lists of lines, as nbformat.read does.
        return nbformat.v4.to_notebook_json(content)
    except (AttributeError, KeyError, TypeError) as exc:
        raise NotebookRejected(
            "invalid_notebook", f"{name} is not a Jupyter notebook: a cell is malformed ({type(exc).__name__})."
        ) from None


def stored_version(run: Run, number: int | None) -> NotebookVersion | None:
    """Version `number` of the run, or its latest when `number` is None."""
    versions = run.versions.order_by("-number")
    return versions.first() if number is None else versions.filter(number=number).first()


def version_notebook(version: NotebookVersion) -> nbformat.NotebookNode:
    return nbformat.reads(version.ipynb, as_version=4)


def version_title(version: NotebookVersion) -> str:
    return f"{version.run.tutorial_id} v{version.number}"


def validation_report(nb: nbformat.NotebookNode, *, title: str, execute: bool) -> dict[str, Any]:
    """Every validator's findings on `nb` (and its execution, when asked), with validation.md."""
    config = settings.ALAIN
    report, executed = check_notebook(
        nb, execute=execute, cell_timeout=config["EXEC_CELL_TIMEOUT"], total_timeout=config["EXEC_TOTAL_TIMEOUT"]
    )
    summary = {**report.as_dict(), "executed": executed}
    markdown = render_validation_markdown(
        title=title, nb=nb, findings=report.findings, summary=summary, passed=report.passed, score=report.score
    )
    return {
        "name": title,
        "passed": summary["passed"],
        "quality_score": summary["score"],
        "counts": summary["counts"],
        "executed": executed,
        "durations_ms": summary["durations_ms"],
        "findings": summary["findings"],
        "validation_md": markdown,
    }


def job_task_name(job: ValidationJob) -> str:
    return f"alain-validate-{job.pk}"


def end_abandoned_jobs(*, now: datetime, waiting: set[str] | None) -> list[str]:
    """Fail the jobs whose worker died and whose task is gone (django-q2 gave up redelivering it).

    `waiting` are the task names still in the broker's queue (None when the broker cannot say:
    then nothing is ended, a redelivery may still come). Called by the watchdog.
    """
    if waiting is None:
        return []
    dead_after = timedelta(seconds=settings.ALAIN["EXEC_TOTAL_TIMEOUT"] + TAKEOVER_GRACE_SECONDS)
    ended = []
    for job in ValidationJob.objects.filter(status=ValidationJob.Status.RUNNING, started_at__lt=now - dead_after):
        if job_task_name(job) in waiting:
            continue
        # Conditional on the claim we read, so a worker that is in fact alive keeps its job.
        if ValidationJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at).update(
            status=ValidationJob.Status.FAILED,
            error="The worker running this validation stopped and its task was not delivered again; "
            "ask for the validation again.",
            finished_at=now,
        ):
            ended.append(str(job.public_id))
    return ended


def _enqueue(job: ValidationJob) -> None:
    from django_q.tasks import async_task

    def push() -> None:
        async_task(VALIDATE_TASK, job.pk, task_name=job_task_name(job), group=queueing.TASK_GROUP)

    # As for runs: with the ORM broker the task row commits or rolls back with the job row.
    if queueing.broker_shares_the_database():
        push()
    else:
        transaction.on_commit(push)


@transaction.atomic
def validation_job_create(
    *, created_by: AbstractBaseUser, name: str, ipynb: str = "", version: NotebookVersion | None = None
) -> ValidationJob:
    """Queue an executing validation of an uploaded notebook (`ipynb`) or of a stored `version`."""
    if bool(ipynb) == (version is not None):
        raise ValueError("validate either an uploaded notebook or a stored version")
    job = ValidationJob.objects.create(
        created_by=created_by, version=version, name=name[:200], ipynb=ipynb, execute=True
    )
    _enqueue(job)
    return job


def job_for(user: AbstractBaseUser, ref: str) -> ValidationJob | None:
    """The job with public id `ref` if `user` asked for it (admins see every job); None otherwise."""
    try:
        public_id = uuid.UUID(str(ref))
    except ValueError:
        return None
    jobs = ValidationJob.objects.select_related("version__run")
    if not is_admin(user):
        jobs = jobs.filter(created_by_id=user.pk)
    return jobs.filter(public_id=public_id).first()


def _job_notebook(job: ValidationJob) -> nbformat.NotebookNode:
    if job.version_id:
        return version_notebook(job.version)
    return notebook_from_json(json.loads(job.ipynb), name=job.name)


def validation_job_run(job_id: int) -> str:
    """The worker's side: claim the job, validate with execution, store the report on the job."""
    now = timezone.now()
    dead_after = timedelta(seconds=settings.ALAIN["EXEC_TOTAL_TIMEOUT"] + TAKEOVER_GRACE_SECONDS)
    claimable = Q(status=ValidationJob.Status.QUEUED) | Q(
        status=ValidationJob.Status.RUNNING, started_at__lt=now - dead_after
    )
    claimed = ValidationJob.objects.filter(claimable, pk=job_id).update(
        status=ValidationJob.Status.RUNNING, started_at=now, error=""
    )
    if not claimed:
        status = ValidationJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return f"skipped: validation job {job_id} " + (f"is {status}" if status else "does not exist")
    job = ValidationJob.objects.select_related("version__run").get(pk=job_id)
    # Only the claim that started at `now` may finish the job: a worker that lost it to a takeover may not.
    mine = ValidationJob.objects.filter(pk=job_id, status=ValidationJob.Status.RUNNING, started_at=now)
    try:
        report = validation_report(_job_notebook(job), title=job.name, execute=job.execute)
    except Exception as exc:  # any failure must end the job with a reason, not leave it running
        logger.exception("validation job %s failed", job_id)
        mine.update(
            status=ValidationJob.Status.FAILED,
            error=f"The validation could not finish: {type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return f"validation job {job_id}: failed"
    mine.update(status=ValidationJob.Status.DONE, report=report, finished_at=timezone.now())
    verdict = "passed" if report["passed"] else "failed"
    return f"validation job {job_id}: done, {verdict}"
