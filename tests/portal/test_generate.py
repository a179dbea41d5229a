"""Generate: who may use it, every refusal next to its field, and one queued run on success."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.models import OrmQ

from generation import queueing
from generation.models import Run, RunStatus
from tests.generation.factories import SAMPLE_CARD
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/generate/"


def form_data(**overrides):
    data = {
        "source_kind": "hf",
        "model_ref": "acme/tiny-test-model",
        "source_text": "",
        "difficulty": "beginner",
        "language": "en",
        "provider": "demo",
        "teacher_model": "",
        "research_mode": "standard",
        "max_sections": "4",
        "execute": "on",
        "team": "",
    }
    data.update(overrides)
    return data


def assert_nothing_queued():
    assert Run.objects.count() == 0
    assert OrmQ.objects.count() == 0


def field_error(body: str, field: str) -> str:
    """The error list rendered for a field (Django gives it the id `id_<field>_error`)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', body, re.S)
    assert match, f"no error shown next to {field}"
    return match.group(1)


def test_the_url_is_named_generate():
    assert reverse("portal:generate") == URL


def test_anonymous_visitors_are_sent_to_sign_in():
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["teammate", "reviewer"])
def test_people_without_the_author_role_are_refused_with_a_reason(people, who):
    response = client_for(getattr(people, who)).get(URL)
    assert response.status_code == 403
    assert "author role" in response.content.decode()
    response = client_for(getattr(people, who)).post(URL, form_data())
    assert response.status_code == 403
    assert_nothing_queued()


@pytest.mark.parametrize("who", ["author", "admin"])
def test_authors_and_admins_get_the_form(people, who):
    response = client_for(getattr(people, who)).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("source_kind", "model_ref", "source_text", "source_file", "difficulty", "language", "provider"):
        assert f'name="{name}"' in body
    assert 'enctype="multipart/form-data"' in body
    assert "Thorough: also config, licence, lineage and linked papers" in body


def test_the_team_choices_are_only_the_users_teams(people):
    body = client_for(people.author).get(URL).content.decode()
    assert "team-a" in body
    assert "team-b" not in body
    assert ">authors<" not in body


def test_a_model_reference_queues_exactly_one_run_and_one_task_then_redirects(people):
    response = client_for(people.author).post(URL, form_data(team=str(people.team_a.pk)))
    run = Run.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:run", kwargs={"ref": run.tutorial_id})
    assert (run.status, run.source_kind, run.source_ref, run.subject_model) == (
        RunStatus.QUEUED,
        "hf",
        "acme/tiny-test-model",
        "acme/tiny-test-model",
    )
    assert run.created_by == people.author
    assert run.team == people.team_a
    assert (run.teacher_provider, run.max_sections, run.execute) == ("demo", 4, True)
    tasks = list(OrmQ.objects.all())
    assert len(tasks) == 1
    assert tasks[0].name() == queueing.task_name(run)
    assert tasks[0].task["args"] == (run.pk,)


def test_a_huggingface_link_is_stored_as_its_canonical_id(people):
    client_for(people.author).post(URL, form_data(model_ref="https://huggingface.co/acme/tiny-test-model/tree/v2"))
    assert Run.objects.get().source_ref == "acme/tiny-test-model@v2"


def test_pasted_text_becomes_a_text_run(people):
    response = client_for(people.author).post(
        URL, form_data(source_kind="text", model_ref="", source_text=SAMPLE_CARD, execute="")
    )
    assert response.status_code == 302
    run = Run.objects.get()
    assert (run.source_kind, run.source_text, run.execute, run.team) == ("text", SAMPLE_CARD, False, None)
    assert OrmQ.objects.count() == 1


def test_an_uploaded_card_becomes_a_file_run(people):
    upload = SimpleUploadedFile("tiny-card.md", SAMPLE_CARD.encode(), content_type="text/markdown")
    response = client_for(people.author).post(
        URL, {**form_data(source_kind="file", model_ref=""), "source_file": upload}
    )
    assert response.status_code == 302
    run = Run.objects.get()
    assert (run.source_kind, run.source_ref, run.source_text) == ("file", "tiny-card.md", SAMPLE_CARD)


def test_a_chosen_model_of_the_provider_is_used(people):
    response = client_for(people.author).post(URL, form_data(teacher_model="demo:demo"))
    assert response.status_code == 302
    assert Run.objects.get().teacher_model == "demo"


def refused(people, data, files=None):
    response = client_for(people.author).post(URL, {**data, **(files or {})})
    assert response.status_code == 200
    assert_nothing_queued()
    return response.content.decode()


def test_a_missing_source_is_an_error_next_to_its_field(people):
    body = refused(people, form_data(model_ref=""))
    assert "Enter a Hugging Face model id or link." in field_error(body, "model_ref")
    assert 'aria-invalid="true"' in body
    assert re.search(
        r'id="id_model_ref"[^>]*aria-describedby="id_model_ref_helptext id_model_ref_error"', body
    ) or re.search(r'aria-describedby="id_model_ref_helptext id_model_ref_error"[^>]*id="id_model_ref"', body)
    assert 'id="error-summary"' in body


def test_missing_text_and_missing_file_are_errors_too(people):
    assert "Paste the model card text." in field_error(refused(people, form_data(source_kind="text")), "source_text")
    assert "Choose a .md or .txt file" in field_error(refused(people, form_data(source_kind="file")), "source_file")


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("https://huggingface.co/datasets/acme/data", "dataset"),
        ("https://example.com/acme/model", "not a link to huggingface.co"),
        ("not a model id", "contains spaces"),
    ],
)
def test_a_bad_huggingface_reference_is_refused_with_the_cli_message(people, reference, expected):
    assert expected in field_error(refused(people, form_data(model_ref=reference)), "model_ref")


def test_a_binary_upload_is_refused(people):
    upload = SimpleUploadedFile("card.md", b"PK\x03\x04\x00\x00binary", content_type="text/markdown")
    body = refused(people, form_data(source_kind="file"), {"source_file": upload})
    assert "binary data" in field_error(body, "source_file")


def test_an_upload_that_is_not_markdown_or_text_is_refused(people):
    upload = SimpleUploadedFile("card.pdf", b"%PDF-1.7 text", content_type="application/pdf")
    body = refused(people, form_data(source_kind="file"), {"source_file": upload})
    assert "not a Markdown or text file" in field_error(body, "source_file")


def test_an_oversized_upload_or_paste_is_refused(people, settings):
    settings.ALAIN = {**settings.ALAIN, "MAX_SOURCE_BYTES": 1000}
    upload = SimpleUploadedFile("card.md", b"# Card\n" + b"a" * 2000, content_type="text/markdown")
    body = refused(people, form_data(source_kind="file"), {"source_file": upload})
    assert "the limit is 1000 bytes" in field_error(body, "source_file")
    body = refused(people, form_data(source_kind="text", source_text="b" * 1500))
    assert "over the 1,000-byte limit" in field_error(body, "source_text")


def test_a_bad_language_is_refused(people):
    body = refused(people, form_data(language="english!"))
    assert "ISO code" in field_error(body, "language")


@pytest.mark.parametrize("value", ["2", "9", "many"])
def test_max_sections_out_of_range_is_refused(people, value):
    assert field_error(refused(people, form_data(max_sections=value)), "max_sections")


def test_an_unknown_provider_or_a_model_of_another_provider_is_refused(people):
    assert field_error(refused(people, form_data(provider="nope")), "provider")
    body = refused(people, form_data(teacher_model="openai:gpt-4o"))
    assert "another provider" in field_error(body, "teacher_model")


def test_a_provider_without_its_key_is_refused(people, settings):
    settings.ALAIN = {**settings.ALAIN, "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "https://api.openai.com/v1"}
    body = refused(people, form_data(provider="openai"))
    assert "OPENAI_API_KEY" in field_error(body, "provider")


def test_another_teams_id_is_not_a_valid_team(people):
    assert field_error(refused(people, form_data(team=str(people.team_b.pk))), "team")


def test_a_broken_catalog_shows_a_banner_and_the_form_still_works(people, monkeypatch):
    def broken():
        raise RuntimeError("catalog down")

    monkeypatch.setattr("generation.views.pages.catalog_entries", broken)
    client = client_for(people.author)
    body = client.get(URL).content.decode()
    assert "The teacher catalog could not be loaded" in body
    assert 'name="provider"' in body
    assert client.post(URL, form_data()).status_code == 302
    assert Run.objects.count() == 1


def test_the_form_needs_a_csrf_token(people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people.author)
    assert client.post(URL, form_data()).status_code == 403
    assert_nothing_queued()
