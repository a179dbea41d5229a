"""The admin: runs with their stored parts, actions through services, a read-only audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_q.models import OrmQ

from generation.models import RunEvent, RunStatus
from generation.services import run_set_status
from tests.portal.conftest import client_for, finished_run, portal_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", None)


def test_the_run_page_shows_sections_versions_teacher_calls_and_events(people, superuser):
    run = finished_run(created_by=people.author, team=people.team_a)
    response = client_for(superuser).get(reverse("admin:generation_run_change", args=[run.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for heading in ("Sections", "Notebook versions", "Teacher calls", "Run events"):
        assert heading in body
    version = run.versions.get()
    response = client_for(superuser).get(reverse("admin:generation_notebookversion_change", args=[version.pk]))
    assert response.status_code == 200
    assert "Findings" in response.content.decode()


def test_the_cancel_and_retry_actions_call_the_services(people, superuser):
    queued = portal_run(created_by=people.author, team=None)
    done = portal_run(created_by=people.author, team=None)
    run_set_status(run=done, status=RunStatus.RUNNING)
    run_set_status(run=done, status=RunStatus.FAILED, error="boom", error_kind="teacher")
    client = client_for(superuser)
    url = reverse("admin:generation_run_changelist")

    response = client.post(url, {"action": "cancel_runs", "_selected_action": [queued.pk, done.pk]}, follow=True)
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED
    assert "1 run(s) cancelled" in response.content.decode()
    assert "only a queued or running run can be cancelled" in response.content.decode()

    OrmQ.objects.all().delete()
    client.post(url, {"action": "retry_runs", "_selected_action": [queued.pk, done.pk]})
    queued.refresh_from_db()
    done.refresh_from_db()
    assert (queued.status, done.status) == (RunStatus.QUEUED, RunStatus.QUEUED)
    assert OrmQ.objects.count() == 2


def test_the_audit_log_is_read_only(people, superuser):
    run = portal_run(created_by=people.author, team=None)
    event = RunEvent.objects.filter(run=run).first()
    client = client_for(superuser)
    assert client.get(reverse("admin:generation_runevent_changelist")).status_code == 200
    response = client.get(reverse("admin:generation_runevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.get(reverse("admin:generation_runevent_add")).status_code == 403
    assert client.post(reverse("admin:generation_runevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert RunEvent.objects.filter(pk=event.pk).exists()


def test_non_staff_users_cannot_reach_the_admin(people):
    response = client_for(people.author).get(reverse("admin:generation_run_changelist"))
    assert response.status_code == 302


def test_the_revalidate_action_queues_one_task_per_version(people, superuser, django_capture_on_commit_callbacks):
    run = finished_run(created_by=people.author, team=people.team_a)
    version = run.versions.get()
    OrmQ.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(superuser).post(
            reverse("admin:generation_notebookversion_changelist"),
            {"action": "revalidate_versions", "_selected_action": [version.pk]},
            follow=True,
        )
    assert "1 version(s) queued for validation" in response.content.decode()
    assert [row.func() for row in OrmQ.objects.all()] == ["generation.tasks.revalidate_version"]
    assert RunEvent.objects.filter(run=run, kind="revalidation_queued").count() == 1
