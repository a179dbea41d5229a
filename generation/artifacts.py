"""A run's artifacts: built from stored stage results, written through Django's storage API.

Layout: `runs/<tutorial-id>/v<version>/{notebook.ipynb, validation.md, metrics.json,
manifest.json, research.json, outline.json, sections/NN.json}`: a file is addressed by its run
and version, and a version's files are written once. The only second publish of a version is a
resumed run whose publish stage was interrupted; its builds are deterministic (same stored
stages, same bytes), so it finds every recorded file in place and writes nothing. Different
bytes for a recorded path are a bug or a tampered database, never a reason to overwrite what
reviewers and exports may already have read: `ArtifactConflict`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from generation.models import Artifact, NotebookVersion, Outline, ResearchRecord, Run
from generation.pipeline.errors import PipelineError
from generation.reports import metrics_for, validation_markdown

ALAIN_VERSION = "0.1.0"

KIND_BY_NAME = {
    "notebook.ipynb": Artifact.Kind.NOTEBOOK,
    "validation.md": Artifact.Kind.VALIDATION,
    "metrics.json": Artifact.Kind.METRICS,
    "manifest.json": Artifact.Kind.MANIFEST,
    "research.json": Artifact.Kind.RESEARCH,
    "outline.json": Artifact.Kind.OUTLINE,
}


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def version_prefix(run: Run, version: NotebookVersion) -> str:
    return f"runs/{run.tutorial_id}/v{version.number}"


def build_files(run: Run, version: NotebookVersion) -> dict[str, bytes]:
    """Every artifact's bytes, keyed by its name inside the version folder (manifest last)."""
    # Read from the database, not from `run`'s cached relations: the pipeline's run object
    # loaded its outline before the sections stage stored the wrap-up in it.
    research = ResearchRecord.objects.get(run=run)
    outline = Outline.objects.get(run=run)
    files: dict[str, bytes] = {
        "notebook.ipynb": version.ipynb.encode("utf-8"),
        "validation.md": validation_markdown(run, version).encode("utf-8"),
        "metrics.json": _json_bytes(metrics_for(run, version, research=research)),
        "research.json": _json_bytes(research.data),
        "outline.json": _json_bytes({**outline.data, **(outline.wrapup or {})}),
    }
    for section in run.sections.order_by("index"):
        files[f"sections/{section.index + 1:02d}.json"] = _json_bytes(section.data)
    files["manifest.json"] = _json_bytes(manifest_for(run, version, files))
    return files


def manifest_for(run: Run, version: NotebookVersion, files: dict[str, bytes]) -> dict[str, Any]:
    return {
        "tutorial_id": run.tutorial_id,
        "version": version.number,
        "alain_version": ALAIN_VERSION,
        "source": {"kind": run.source_kind, "ref": run.source_ref, "subject": run.subject_model},
        "teacher": {"provider": run.teacher_provider, "model": run.teacher_model, "demo": run.is_demo},
        "prompt_versions": run.prompt_versions,
        "options": {
            "difficulty": run.difficulty,
            "language": run.language,
            "research_mode": run.research_mode,
            "max_sections": run.max_sections,
        },
        "validation": {"passed": version.passed, "score": version.quality_score},
        "timings_ms": run.stage_timings,
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        ],
    }


class ArtifactConflict(PipelineError):
    """Publishing would change or re-create a version's file that is already recorded."""

    kind = "internal"


def publish_version(*, run: Run, version: NotebookVersion) -> list[Artifact]:
    """Write the version's artifacts to storage once and record them (idempotent for the same bytes).

    Per file: recorded with the same sha256 and present: kept as is. Recorded but missing from
    storage (lost, not purged): written again, the same bytes. Present but recorded by no row:
    left by a publish that died before its transaction committed, so nobody read it through
    ALAIN: replaced. Recorded with other bytes, or purged by retention: `ArtifactConflict`,
    before anything is written.
    """
    prefix = version_prefix(run, version)
    files = build_files(run, version)
    recorded = {a.path: a for a in Artifact.objects.filter(run=run, path__startswith=f"{prefix}/")}
    if purged := next((a for a in recorded.values() if a.purged_at is not None), None):
        raise ArtifactConflict(
            f"{purged.path} was purged by the retention policy; a purged version is never published again.",
            stage="publish",
        )
    for name, data in files.items():
        existing = recorded.get(f"{prefix}/{name}")
        if existing is not None and existing.sha256 != hashlib.sha256(data).hexdigest():
            raise ArtifactConflict(
                f"{existing.path} is already published with other bytes (sha256 {existing.sha256[:12]}...); "
                "a version's artifacts are written once.",
                stage="publish",
            )
    written: list[Artifact] = []
    new_rows: list[Artifact] = []
    with transaction.atomic():
        for name, data in files.items():
            path = f"{prefix}/{name}"
            existing = recorded.get(path)
            present = default_storage.exists(path)
            if existing is not None and present:
                written.append(existing)
                continue
            if existing is None and present:
                default_storage.delete(path)
            _write_once(path, data)
            if existing is None:
                kind = Artifact.Kind.SECTION if name.startswith("sections/") else KIND_BY_NAME[name]
                existing = Artifact(
                    run=run,
                    version=version,
                    path=path,
                    kind=kind,
                    name=name,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                )
                new_rows.append(existing)
            written.append(existing)
        # One INSERT for the version's dozen files; the same objects, now with their keys, are returned.
        Artifact.objects.bulk_create(new_rows)
    return written


def _write_once(path: str, data: bytes) -> None:
    """Store `data` at exactly `path`.

    Storages do not overwrite: given a taken name they save under another one (FileSystemStorage,
    S3 with file_overwrite=False). Another writer got there between our check and our save, so
    the renamed copy is removed and the publish fails instead of recording a path nobody asked for.
    """
    saved = default_storage.save(path, ContentFile(data))
    if saved != path:
        default_storage.delete(saved)
        raise ArtifactConflict(f"{path} was written by someone else during this publish.", stage="publish")


def export_to_directory(*, run: Run, version: NotebookVersion, out_dir: Path, folder_name: str) -> Path:
    """Copy a version's stored artifacts to `out_dir/folder_name`, all or nothing.

    Files are first written to a temporary sibling folder that is renamed at the end, so an
    interrupted export never leaves a half-written folder behind.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / folder_name
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder_name}-", dir=out_dir))
    try:
        for artifact in Artifact.objects.filter(run=run, version=version):
            destination = staging / artifact.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with default_storage.open(artifact.path, "rb") as src, destination.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
