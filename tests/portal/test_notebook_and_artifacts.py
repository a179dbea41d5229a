"""The notebook viewer and artifact downloads: only for visible runs, and always inert."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generation.models import Artifact, Finding, NotebookVersion, Outline, ResearchRecord, Run, Section
from tests.portal.conftest import client_for, finished_run
from tests.portal.inert import assert_inert, main_of

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script> <img src=x onerror=alert(1)> [link](javascript:alert(1))"
EVIL_CARD = f"""---
license: apache-2.0
pipeline_tag: text-generation
---
# Evil <script>alert(1)</script> Model <img src=x onerror=alert(1)>

<script>alert(1)</script> The model card says <img src=x onerror=alert(1)> and
[click me](javascript:alert(1)) and <a href="javascript:alert(1)">raw</a>.

## Usage

<iframe src="https://evil.example"></iframe>
{PAYLOAD}
"""


@pytest.fixture
def done(people) -> Run:
    return finished_run(created_by=people.author, team=people.team_a)


def notebook_url(run: Run, number: int = 1) -> str:
    return reverse("portal:notebook", kwargs={"ref": run.tutorial_id, "number": number})


def artifact_url(run: Run, artifact: Artifact) -> str:
    return reverse("portal:artifact", kwargs={"ref": run.tutorial_id, "pk": artifact.pk})


# --- downloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["author", "teammate", "reviewer", "admin"])
def test_visible_runs_artifacts_download_as_attachments(people, done, who):
    artifact = done.artifacts.get(name="notebook.ipynb")
    response = client_for(getattr(people, who)).get(artifact_url(done, artifact))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'{done.tutorial_id}-v1-notebook.ipynb"' in disposition
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == artifact.sha256
    assert content == default_storage.open(artifact.path).read()


def test_a_section_artifact_keeps_its_folder_in_the_file_name(people, done):
    artifact = done.artifacts.get(name="sections/01.json")
    response = client_for(people.author).get(artifact_url(done, artifact))
    assert f'{done.tutorial_id}-v1-sections-01.json"' in response.headers["Content-Disposition"]
    json.loads(b"".join(response.streaming_content))


def test_another_team_gets_not_found_and_anonymous_visitors_sign_in(people, done):
    artifact = done.artifacts.get(name="notebook.ipynb")
    assert client_for(people.outsider).get(artifact_url(done, artifact)).status_code == 404
    response = client_for(None).get(artifact_url(done, artifact))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_an_artifact_is_served_only_under_its_own_run(people, done):
    other = finished_run(created_by=people.outsider, team=people.team_b)
    foreign = other.artifacts.get(name="notebook.ipynb")
    # alice may see `done`, not `other`: naming other's artifact under her run must not serve it.
    assert client_for(people.author).get(artifact_url(done, foreign)).status_code == 404


def test_a_file_missing_from_storage_is_not_found(people, done):
    artifact = done.artifacts.get(name="metrics.json")
    default_storage.delete(artifact.path)
    assert client_for(people.author).get(artifact_url(done, artifact)).status_code == 404


# --- the notebook viewer -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["author", "teammate", "reviewer", "admin"])
def test_the_viewer_shows_every_cell_with_code_highlighted(people, done, who):
    response = client_for(getattr(people, who)).get(notebook_url(done))
    assert response.status_code == 200
    body = response.content.decode()
    cells = json.loads(done.versions.get().ipynb)["cells"]
    assert body.count('<li class="cell cell--') == len(cells)
    assert '<div class="highlight"><pre>' in body
    assert "css/pygments.css" in body
    assert "style=" not in body


def test_the_viewer_refuses_other_teams_unknown_versions_and_anonymous_visitors(people, done):
    assert client_for(people.outsider).get(notebook_url(done)).status_code == 404
    assert client_for(people.author).get(notebook_url(done, 7)).status_code == 404
    assert client_for(None).get(notebook_url(done)).status_code == 302


def test_findings_are_shown_next_to_their_cells(people, done):
    version = done.versions.get()
    Finding.objects.create(
        version=version,
        validator="quality",
        code="demo-marker",
        severity="error",
        cell_index=3,
        message="FINDING ON CELL 4",
    )
    Finding.objects.create(
        version=version,
        validator="structure",
        code="whole",
        severity="warning",
        cell_index=None,
        message="WHOLE NOTEBOOK",
    )
    body = client_for(people.author).get(notebook_url(done)).content.decode()
    start = body.index('id="cell-4"')
    end = body.index('id="cell-5"')
    assert "FINDING ON CELL 4" in body[start:end]
    assert "quality/demo-marker" in body[start:end]
    assert body.index("WHOLE NOTEBOOK") < body.index('id="cell-1"')
    assert "Findings about the whole notebook" in body


# --- XSS ------------------------------------------------------------------------------------------


def evil_notebook() -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": "markdown", "id": "a", "metadata": {}, "source": f"# Title {PAYLOAD}\n\n{EVIL_CARD}"},
                {
                    "cell_type": "code",
                    "id": "b",
                    "metadata": {},
                    "execution_count": 1,
                    "source": "print('<script>alert(1)</script>')",
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": PAYLOAD},
                        {
                            "output_type": "display_data",
                            "metadata": {},
                            "data": {"text/html": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
                        },
                        {
                            "output_type": "display_data",
                            "metadata": {},
                            "data": {"image/png": '" onerror="alert(1)', "image/svg+xml": "<svg onload=alert(1)>"},
                        },
                        {"output_type": "error", "ename": "<b>E</b>", "evalue": PAYLOAD, "traceback": [PAYLOAD]},
                    ],
                },
                {"cell_type": "raw", "id": "c", "metadata": {}, "source": PAYLOAD},
            ],
        }
    )


def test_a_notebook_full_of_payloads_renders_inert(people, done):
    version = NotebookVersion.objects.create(run=done, number=2, ipynb=evil_notebook(), sha256="0" * 64, reason="evil")
    Finding.objects.create(version=version, validator="v", code="c", severity="error", cell_index=0, message=PAYLOAD)
    response = client_for(people.author).get(notebook_url(done, 2))
    assert response.status_code == 200
    main = main_of(response.content.decode())
    assert_inert(main)
    assert "&lt;script&gt;" in main


def test_a_card_with_payloads_renders_inert_on_every_page(people):
    run = finished_run(created_by=people.author, team=people.team_a, card=EVIL_CARD)
    # Put payloads where the teacher's and the card's words are shown as well.
    Outline.objects.filter(run=run).update(
        data={**run.outline.data, "title": f"Manual {PAYLOAD}", "objectives": [PAYLOAD, "Learn"]}
    )
    section = Section.objects.get(run=run, index=0)
    Section.objects.filter(pk=section.pk).update(
        data={**section.data, "explanation": f"Intro {PAYLOAD}\n\n{EVIL_CARD}"}
    )
    research = ResearchRecord.objects.get(run=run)
    ResearchRecord.objects.filter(pk=research.pk).update(data={**research.data, "author": PAYLOAD, "notes": [PAYLOAD]})
    Run.objects.filter(pk=run.pk).update(subject_model=f"Evil {PAYLOAD}")
    client = client_for(people.author)
    for url in (
        reverse("portal:run", kwargs={"ref": run.tutorial_id}),
        reverse("portal:run_progress", kwargs={"ref": run.tutorial_id}),
        notebook_url(run),
        reverse("portal:runs") + "?scope=mine",
        reverse("portal:runs") + "?scope=team",
    ):
        response = client.get(url)
        assert response.status_code in (200, 286), url
        body = response.content.decode()
        # Our own forms (filters) are expected; nothing the card or the teacher wrote is active.
        assert_inert(main_of(body) if "<main" in body else body, allow=("form",))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
