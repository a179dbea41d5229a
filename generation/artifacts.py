"""A run's artifacts: built from stored stage results, written through Django's storage API.

Layout: `runs/<tutorial-id>/v<version>/{notebook.ipynb, validation.md, metrics.json,
manifest.json, research.json, outline.json, sections/NN.json}`. Artifacts of a version are
immutable: publishing again rewrites nothing whose bytes are unchanged.
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

from generation.models import Artifact, NotebookVersion, Run
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
    files: dict[str, bytes] = {
        "notebook.ipynb": version.ipynb.encode("utf-8"),
        "validation.md": validation_markdown(run, version).encode("utf-8"),
        "metrics.json": _json_bytes(metrics_for(run, version)),
        "research.json": _json_bytes(run.research.data),
        "outline.json": _json_bytes({**run.outline.data, **(run.outline.wrapup or {})}),
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


def publish_version(*, run: Run, version: NotebookVersion) -> list[Artifact]:
    """Write the version's artifacts to storage and record them (idempotent)."""
    prefix = version_prefix(run, version)
    written = []
    with transaction.atomic():
        for name, data in build_files(run, version).items():
            path = f"{prefix}/{name}"
            digest = hashlib.sha256(data).hexdigest()
            existing = Artifact.objects.filter(run=run, path=path).first()
            if existing and existing.sha256 == digest and default_storage.exists(path):
                written.append(existing)
                continue
            if default_storage.exists(path):
                default_storage.delete(path)
            saved = default_storage.save(path, ContentFile(data))
            kind = Artifact.Kind.SECTION if name.startswith("sections/") else KIND_BY_NAME[name]
            artifact, _ = Artifact.objects.update_or_create(
                run=run,
                path=saved,
                defaults={"version": version, "kind": kind, "name": name, "sha256": digest, "size": len(data)},
            )
            written.append(artifact)
    return written


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
