"""Exports: a zip of the run's approved version, and nothing else, each one recorded.

The bundle holds `notebook.ipynb` (the approved bytes), `validation.md`, `metrics.json`, a
`manifest.json` (sha256 and size of every file, and who approved what) and `.env.example` (the
variables the manual reads). Its bytes depend only on the version and its approval.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from generation.artifacts import manifest_for
from generation.models import NotebookVersion, Run
from generation.reports import metrics_for, validation_markdown
from review.models import Approval, AuditEntry, ExportRecord, Review, ReviewState
from review.services import ReviewError, display_name, latest_version, live_approval, record, require_visible

ENV_EXAMPLE = """\
# Variables the manual reads (copy to .env, or export them before starting Jupyter).
# Never paste a key into the notebook itself.

# Base URL of an OpenAI-compatible server; leave empty for the OpenAI API.
# Local servers: http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama).
OPENAI_BASE_URL=
# Your key; leave empty for a local server that needs none (the notebook asks when it is unset).
OPENAI_API_KEY=
# The model to call; empty uses the manual's default.
ALAIN_MODEL=
# 1 runs the manual with stand-in replies, without calling any model.
ALAIN_DRY_RUN=
"""

# Fixed timestamp for every zip member, so the same approved version always zips to the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class NotApproved(ReviewError):
    """The run has no live approval of the exact bytes it would serve."""


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def why_not_approved(run: Run) -> str:
    """Sentences saying why the run cannot be exported now."""
    latest = latest_version(run)
    if latest is None:
        return "This run has no notebook yet. Only approved versions can be exported."
    review = Review.objects.filter(version=latest).select_related("claimed_by", "decided_by").first()
    last = Approval.objects.filter(run=run).select_related("version").order_by("-approved_at", "-id").first()
    parts = []
    if last is not None and last.withdrawn_at is not None:
        parts.append(
            _sentence(f"The approval of version {last.version.number} was withdrawn ({last.withdrawn_reason})")
        )
    n = latest.number
    if review is None:
        parts.append(f"Version {n} has not entered the review queue yet.")
    elif review.state == ReviewState.PENDING:
        parts.append(f"Version {n} is waiting for review.")
    elif review.state == ReviewState.IN_REVIEW:
        parts.append(f"Version {n} is being reviewed by {display_name(review.claimed_by)}.")
    elif review.state == ReviewState.CHANGES_REQUESTED:
        parts.append(_sentence(f"{display_name(review.decided_by)} requested changes to version {n}: {review.comment}"))
    elif review.state == ReviewState.REJECTED:
        parts.append(_sentence(f"{display_name(review.decided_by)} rejected version {n}: {review.comment}"))
    else:
        parts.append(f"Version {n} is not approved.")
    parts.append("Only approved versions can be exported.")
    return " ".join(parts)


def bundle_files(run: Run, version: NotebookVersion, approval: Approval) -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "notebook.ipynb": version.ipynb.encode("utf-8"),
        "validation.md": validation_markdown(run, version).encode("utf-8"),
        "metrics.json": _json_bytes(metrics_for(run, version)),
        ".env.example": ENV_EXAMPLE.encode("utf-8"),
    }
    manifest = manifest_for(run, version, files)
    manifest["approval"] = {
        "approved_by": display_name(approval.approved_by),
        "approved_at": approval.approved_at.isoformat(),
        "sha256": approval.sha256,
    }
    files["manifest.json"] = _json_bytes(manifest)
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def export_bundle(run: Run, user: AbstractBaseUser | None, *, via: str = "download") -> tuple[bytes, str]:
    """The zip of the run's approved version and its file name "<tutorial_id>-v<N>.zip"; records the export.

    Raises `NotApproved` (nothing recorded) when there is no live approval, or when the version's
    bytes are no longer the ones approved.
    """
    if via not in ExportRecord.Via.values:
        raise ValueError(f"via must be one of {', '.join(ExportRecord.Via.values)}")
    if user is not None:
        require_visible(run, user)
    approval = live_approval(run)
    if approval is None:
        raise NotApproved(why_not_approved(run))
    version = NotebookVersion.objects.get(pk=approval.version_id)
    if version.sha256 != approval.sha256:
        raise NotApproved(
            f"Version {version.number} changed after it was approved (its sha256 differs); it needs a new approval."
        )
    data = zip_bytes(bundle_files(run, version, approval))
    filename = f"{run.tutorial_id}-v{version.number}.zip"
    with transaction.atomic():
        export = ExportRecord.objects.create(run=run, version=version, exported_by=user, via=via, sha256=version.sha256)
        record(
            run=run,
            action=AuditEntry.Action.EXPORTED,
            actor=user,
            version=version,
            message=f"{display_name(user)} exported version {version.number} ({via}).",
            data={
                "export": export.pk,
                "via": via,
                "version": version.number,
                "sha256": version.sha256,
                "zip_sha256": hashlib.sha256(data).hexdigest(),
                "filename": filename,
            },
        )
    return data, filename
