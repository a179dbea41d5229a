"""Artifact storage: local or S3 (moto), written once, read back byte for byte through the API and the portal."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter
from moto import mock_aws
from storages.backends.s3 import S3Storage

from alain_site import settings as alain_settings
from alain_site.accounts.tokens import create_token
from generation import services
from generation.artifacts import ArtifactConflict, build_files, publish_version
from generation.models import Artifact, NotebookVersion, Run, RunStatus
from generation.pipeline.runner import execute_run
from generation.services import run_retry
from providers.demo import DemoTeacher
from tests.generation.factories import make_run
from tests.generation.test_retention import OLD, backdate, next_version, reject
from tests.review.factories import People, people_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

BUCKET = "alain-artifacts"
# A MinIO-style server: its own URL and path addressing (moto answers it in-process).
ENDPOINT = "http://minio.test:9000"
SECRET = "s3cr3t-Kq8vY2pL0mN4xZ7w"
S3_ENV = {
    "ALAIN_S3_BUCKET": BUCKET,
    "ALAIN_S3_REGION": "eu-west-1",
    "ALAIN_S3_ENDPOINT_URL": ENDPOINT,
    "ALAIN_S3_ADDRESSING_STYLE": "path",
    "ALAIN_S3_ACCESS_KEY_ID": "AKIAALAINTESTKEY",
    "ALAIN_S3_SECRET_ACCESS_KEY": SECRET,
    "ALAIN_S3_PREFIX": "/alain/prod/",
}


@pytest.fixture
def s3(settings, monkeypatch) -> Iterator[object]:
    """Artifacts in an S3 bucket (moto), configured the way ALAIN_STORAGE=s3 configures them."""
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", ENDPOINT)
    with mock_aws():
        client = boto3.client(
            "s3",
            region_name="eu-west-1",
            endpoint_url=ENDPOINT,
            aws_access_key_id="AKIAALAINTESTKEY",
            aws_secret_access_key=SECRET,
        )
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        settings.STORAGES = {**settings.STORAGES, "default": alain_settings.artifact_storage("s3")}
        assert isinstance(storages["default"], S3Storage)
        yield client


def bucket_objects(client) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listing}


def finished(people: People) -> Run:
    run = execute_run(
        make_run(created_by=people.author, team=people.team_a).pk, teacher=DemoTeacher(model="alain-demo")
    )
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    return run


def fetch(response) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


def test_a_version_published_to_s3_reads_back_byte_for_byte_through_the_api_and_the_portal(people, s3):
    run = finished(people)
    version = run.versions.get()
    artifacts = list(Artifact.objects.filter(run=run, version=version))
    objects = bucket_objects(s3)

    # Every artifact is one object at runs/<tutorial-id>/v1/<name>, under the configured prefix.
    assert sorted(objects) == sorted(f"alain/prod/runs/{run.tutorial_id}/v1/{a.name}" for a in artifacts)
    assert {a.path for a in artifacts} == {f"runs/{run.tutorial_id}/v1/{a.name}" for a in artifacts}

    _, key = create_token(people.author, name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    portal = Client()
    portal.force_login(people.author)
    base = f"/api/runs/{run.tutorial_id}/artifacts"
    manifest = json.loads(fetch(api.get(f"{base}/manifest")))
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == {a.name for a in artifacts} - {"manifest.json"}

    for artifact in artifacts:
        query = {"version": 1}
        if artifact.kind == Artifact.Kind.SECTION:
            query["step"] = int(artifact.name[len("sections/") : -len(".json")])
        through_api = fetch(api.get(f"{base}/{artifact.kind}", query))
        through_portal = fetch(portal.get(reverse("portal:artifact", args=[run.tutorial_id, artifact.pk])))
        stored = objects[f"alain/prod/{artifact.path}"]
        assert through_api == through_portal == stored, artifact.name
        assert hashlib.sha256(stored).hexdigest() == artifact.sha256
        assert len(stored) == artifact.size
        if artifact.name != "manifest.json":
            assert listed[artifact.name] == {"name": artifact.name, "sha256": artifact.sha256, "size": artifact.size}
    notebook = fetch(api.get(f"{base}/notebook"))
    assert notebook == version.ipynb.encode("utf-8")


def interrupted_in_publish(run: Run) -> Run:
    """The run as a worker left it when it died after writing the artifacts, before recording the stage."""
    Run.objects.filter(pk=run.pk).update(
        completed_stages=[stage for stage in run.completed_stages if stage != "publish"],
        stage_timings={stage: ms for stage, ms in run.stage_timings.items() if stage != "publish"},
    )
    run.refresh_from_db()
    return run


def test_a_publish_resumed_after_a_crash_on_s3_writes_nothing_again(people, s3, monkeypatch):
    saves: list[str] = []
    real_save = S3Storage._save

    def counting_save(storage, name, content):
        saves.append(name)
        return real_save(storage, name, content)

    monkeypatch.setattr(S3Storage, "_save", counting_save)
    # The worker dies right after the publish committed (artifacts and review queue entry),
    # before the publish stage is recorded as completed (with the run's success).
    real_succeed = services.run_succeed

    def dies_after_publish(*, run, worker, done=None):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "run_succeed", dies_after_publish)
    run = execute_run(
        make_run(created_by=people.author, team=people.team_a).pk, teacher=DemoTeacher(model="alain-demo")
    )
    assert (run.status, run.error_stage or run.stage) == (RunStatus.FAILED, "publish")
    assert "publish" not in run.completed_stages
    objects = bucket_objects(s3)
    assert len(saves) == len(objects) == Artifact.objects.filter(run=run).count() >= 10

    monkeypatch.setattr(services, "run_succeed", real_succeed)
    saves.clear()
    run_retry(run=run)
    run = execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert saves == []
    assert bucket_objects(s3) == objects


def test_other_bytes_for_a_published_version_are_refused_and_nothing_is_overwritten(people, s3):
    run = interrupted_in_publish(finished(people))
    version = run.versions.get()
    before = bucket_objects(s3)
    # A changed score would change validation.md, metrics.json and the manifest.
    NotebookVersion.objects.filter(pk=version.pk).update(quality_score=1)
    version.refresh_from_db()
    with pytest.raises(ArtifactConflict, match=r"v1/validation\.md is already published with other bytes"):
        publish_version(run=run, version=version)
    assert bucket_objects(s3) == before


def test_a_key_taken_during_the_publish_is_never_recorded_under_another_name(people, s3, monkeypatch):
    # Another writer creates the key between our check and our save: S3 with file_overwrite=False
    # would save under a new random name; the publish removes that copy and fails instead.
    run = finished(people)
    version = run.versions.get()
    Artifact.objects.filter(run=run).delete()
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in bucket_objects(s3)]})
    raced = f"runs/{run.tutorial_id}/v1/notebook.ipynb"
    real_exists = S3Storage.exists
    checks = {"count": 0}

    def exists(storage, name):
        if name == raced:
            checks["count"] += 1
            if checks["count"] == 1:  # our check: free; then the other writer strikes
                s3.put_object(Bucket=BUCKET, Key=f"alain/prod/{raced}", Body=b"someone else's bytes")
                return False
        return real_exists(storage, name)

    monkeypatch.setattr(S3Storage, "exists", exists)
    with pytest.raises(ArtifactConflict, match="was written by someone else during this publish"):
        publish_version(run=run, version=version)
    # notebook.ipynb is written first: nothing else was written, nothing renamed stays.
    assert bucket_objects(s3) == {f"alain/prod/{raced}": b"someone else's bytes"}
    assert not Artifact.objects.filter(run=run).exists()


def test_a_local_republish_keeps_recorded_files_and_replaces_an_unrecorded_leftover(people, settings):
    run = interrupted_in_publish(finished(people))
    version = run.versions.get()
    folder = Path(settings.MEDIA_ROOT) / f"runs/{run.tutorial_id}/v1"
    notebook, metrics = folder / "notebook.ipynb", folder / "metrics.json"
    stamp = notebook.stat().st_mtime_ns
    # A publish that died before committing left a half-written file that no row records.
    Artifact.objects.filter(run=run, name="metrics.json").delete()
    metrics.write_bytes(b"{half")

    publish_version(run=run, version=version)
    assert notebook.stat().st_mtime_ns == stamp
    assert metrics.read_bytes() == build_files(run, version)["metrics.json"]
    names = {"notebook.ipynb", "validation.md", "metrics.json", "manifest.json", "research.json", "outline.json"}
    assert sorted(p.name for p in folder.iterdir()) == sorted(names | {"sections"})
    recorded = Artifact.objects.get(run=run, name="metrics.json")
    assert recorded.sha256 == hashlib.sha256(metrics.read_bytes()).hexdigest()


def test_the_outline_artifact_holds_the_plan_and_the_wrap_up(people, settings):
    run = finished(people)
    stored = json.loads((Path(settings.MEDIA_ROOT) / f"runs/{run.tutorial_id}/v1/outline.json").read_bytes())
    outline = run.outline
    outline.refresh_from_db()
    assert outline.wrapup and stored == {**outline.data, **outline.wrapup}


def test_a_purged_version_is_never_published_again(people):
    run = finished(people)
    version = run.versions.get()
    Artifact.objects.filter(run=run, name="outline.json").update(purged_at="2020-01-01T00:00:00Z")
    with pytest.raises(ArtifactConflict, match=r"v1/outline\.json was purged by the retention policy"):
        publish_version(run=run, version=version)


# --- settings ------------------------------------------------------------------------------------


def test_the_s3_settings_carry_every_option_and_write_once(monkeypatch):
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    config = alain_settings.artifact_storage("s3")
    assert config == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "region_name": "eu-west-1",
            "endpoint_url": ENDPOINT,
            "addressing_style": "path",
            "access_key": "AKIAALAINTESTKEY",
            "secret_key": SECRET,
            "location": "alain/prod",
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
    assert alain_settings.artifact_storage("local") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_without_keys_s3_falls_back_to_boto3s_own_credentials(monkeypatch):
    monkeypatch.setenv("ALAIN_S3_BUCKET", BUCKET)
    for name in ("ALAIN_S3_ACCESS_KEY_ID", "ALAIN_S3_SECRET_ACCESS_KEY", "ALAIN_S3_ENDPOINT_URL", "ALAIN_S3_REGION"):
        monkeypatch.delenv(name, raising=False)
    options = alain_settings.artifact_storage("s3")["OPTIONS"]
    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (None, None, None)


@pytest.mark.parametrize(
    ("kind", "env", "message"),
    [
        ("gcs", {}, "ALAIN_STORAGE must be local or s3, got 'gcs'"),
        ("s3", {}, "ALAIN_STORAGE=s3 needs ALAIN_S3_BUCKET"),
        ("s3", {"ALAIN_S3_BUCKET": BUCKET, "ALAIN_S3_ACCESS_KEY_ID": "AKIA"}, "set both ALAIN_S3_ACCESS_KEY_ID"),
        ("s3", {"ALAIN_S3_BUCKET": BUCKET, "ALAIN_S3_ADDRESSING_STYLE": "dns"}, "must be auto, path or virtual"),
    ],
)
def test_bad_storage_settings_are_refused_with_a_clear_error(monkeypatch, kind, env, message):
    for name in S3_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        alain_settings.artifact_storage(kind)


def test_the_s3_keys_are_hidden_from_error_pages(settings, monkeypatch):
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": alain_settings.artifact_storage("s3")}
    shown = SafeExceptionReporterFilter().get_safe_settings()
    assert SECRET not in json.dumps(shown, default=str)
    assert "AKIAALAINTESTKEY" not in json.dumps(shown, default=str)
    assert shown["STORAGES"]["default"]["OPTIONS"]["bucket_name"] == BUCKET


def test_the_purge_deletes_purged_files_from_s3(people, s3):
    run = finished(people)
    next_version(run)
    reject(run, people)
    backdate(run, finished=OLD, versions={1: OLD + 5, 2: OLD})
    call_command("alain", "purge", stdout=io.StringIO(), stderr=io.StringIO())
    keys = set(bucket_objects(s3))
    v1 = set(Artifact.objects.filter(run=run, version__number=1).values_list("path", flat=True))
    v2 = set(Artifact.objects.filter(run=run, version__number=2).values_list("path", flat=True))
    assert keys == {f"alain/prod/{path}" for path in v2}
    assert v1 and all(a.purged_at for a in Artifact.objects.filter(path__in=v1))
