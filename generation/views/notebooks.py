"""The notebook viewer and artifact downloads of a visible run."""

from __future__ import annotations

import json
import mimetypes
from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from generation.models import Artifact
from generation.rendering import attach_findings, render_notebook
from generation.retention import purged_message
from generation.views.access import visible_run_or_404


@login_required
@require_GET
def notebook(request: HttpRequest, ref: str, number: int) -> HttpResponse:
    run = visible_run_or_404(request.user, ref)
    version = get_object_or_404(run.versions, number=number)
    findings = list(version.findings.order_by("cell_index", "id"))
    parse_error = ""
    try:
        cells = render_notebook(json.loads(version.ipynb))
    except (ValueError, AttributeError, TypeError) as exc:
        cells, parse_error = [], f"The stored notebook is not valid notebook JSON ({exc.__class__.__name__})."
    general = attach_findings(cells, findings)
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in ("error", "warning", "info")}
    return render(
        request,
        "portal/notebook.html",
        {
            "run": run,
            "version": version,
            "versions": run.versions.order_by("number"),
            "cells": cells,
            "general_findings": general,
            "counts": counts,
            "parse_error": parse_error,
        },
    )


def download_name(artifact: Artifact) -> str:
    """`<tutorial-id>-v<N>-<name>`, with the folder of `sections/NN.json` folded into the name."""
    version = f"-v{artifact.version.number}" if artifact.version_id else ""
    name = "-".join(PurePosixPath(artifact.name).parts)
    return f"{artifact.run.tutorial_id}{version}-{name}"


@login_required
@require_GET
def artifact(request: HttpRequest, ref: str, pk: int) -> HttpResponse:
    run = visible_run_or_404(request.user, ref)
    item = get_object_or_404(Artifact.objects.select_related("run", "version"), pk=pk, run=run)
    if item.purged_at is not None:
        context = {"run": run, "artifact": item, "message": purged_message(item)}
        return render(request, "portal/artifact_purged.html", context, status=410)
    try:
        handle = default_storage.open(item.path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file of this artifact is missing from storage.") from None
    content_type = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
    if item.name.endswith(".ipynb"):
        content_type = "application/x-ipynb+json"
    return FileResponse(handle, as_attachment=True, filename=download_name(item), content_type=content_type)
