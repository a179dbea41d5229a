"""The run page, its live progress partial, and the cancel and retry actions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from generation.models import Run, RunEvent, RunStatus, TeacherCall
from generation.services import run_event, run_set_status
from generation.views.run_state import EVENTS_SHOWN, teacher_summary
from tests.portal.conftest import client_for, finished_run, portal_run

pytestmark = pytest.mark.django_db


def run_url(run: Run, name: str = "portal:run") -> str:
    return reverse(name, kwargs={"ref": run.tutorial_id})


@pytest.fixture
def team_run(people) -> Run:
    """A queued run of alice's for team A."""
    return portal_run(created_by=people.author, team=people.team_a)


def failed(run: Run, *, kind: str = "teacher", message: str = "HTTP 503 from the teacher after 4 attempts") -> Run:
    run_set_status(run=run, status=RunStatus.RUNNING)
    run.stage = "sections"
    Run.objects.filter(pk=run.pk).update(stage="sections", completed_stages=["research", "outline"])
    run.refresh_from_db()
    return run_set_status(run=run, status=RunStatus.FAILED, error=message, error_kind=kind, error_stage="sections")


# --- who sees a run -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["portal:run", "portal:run_progress"])
def test_anonymous_visitors_are_sent_to_sign_in(team_run, name):
    response = client_for(None).get(run_url(team_run, name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_poll_after_the_session_ended_sends_the_page_to_sign_in(team_run):
    response = client_for(None).get(run_url(team_run, "portal:run_progress"), headers={"HX-Request": "true"})
    assert response.status_code == 286
    assert response.headers["HX-Redirect"].startswith(reverse("accounts:login") + "?next=%2Fruns%2F")
    assert response.content == b""


@pytest.mark.parametrize("who", ["author", "teammate", "reviewer", "admin"])
def test_the_author_the_team_and_admins_see_the_run(people, team_run, who):
    response = client_for(getattr(people, who)).get(run_url(team_run))
    assert response.status_code == 200
    assert team_run.tutorial_id in response.content.decode()


@pytest.mark.parametrize("name", ["portal:run", "portal:run_progress"])
def test_another_team_gets_not_found(people, team_run, name):
    assert client_for(people.outsider).get(run_url(team_run, name)).status_code == 404


def test_a_run_without_a_team_is_seen_only_by_its_author_and_admins(people):
    run = portal_run(created_by=people.author, team=None)
    assert client_for(people.author).get(run_url(run)).status_code == 200
    assert client_for(people.admin).get(run_url(run)).status_code == 200
    assert client_for(people.teammate).get(run_url(run)).status_code == 404
    assert client_for(people.reviewer).get(run_url(run)).status_code == 404


def test_a_run_is_found_by_its_public_id_too(people, team_run):
    response = client_for(people.author).get(reverse("portal:run", kwargs={"ref": str(team_run.public_id)}))
    assert response.status_code == 200
    assert client_for(people.author).get(reverse("portal:run", kwargs={"ref": "no-such-run"})).status_code == 404


# --- what the page shows -------------------------------------------------------------------


def test_a_queued_run_polls_for_progress_and_lists_the_eight_stages(people, team_run):
    body = client_for(people.author).get(run_url(team_run)).content.decode()
    assert f'hx-get="{run_url(team_run, "portal:run_progress")}"' in body
    assert 'hx-trigger="every 2s"' in body
    for title in (
        "Research Scout",
        "Outline",
        "Sections",
        "Assembly",
        "Static validation",
        "Execution validation",
        "Auto-fix",
        "Publish",
    ):
        assert title in body
    assert "0 of 8 stages done" in body
    assert "Cancel run" in body
    assert "Run created for" in body  # the event timeline


def test_the_progress_partial_keeps_polling_while_the_run_goes(people, team_run):
    run_set_status(run=team_run, status=RunStatus.RUNNING)
    response = client_for(people.author).get(run_url(team_run, "portal:run_progress"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert "<html" not in body


def test_the_progress_partial_stops_polling_once_the_run_ended(people):
    run = finished_run(created_by=people.author, team=people.team_a)
    assert run.status == RunStatus.SUCCEEDED
    response = client_for(people.author).get(run_url(run, "portal:run_progress"), headers={"HX-Request": "true"})
    assert response.status_code == 286
    body = response.content.decode()
    assert "hx-trigger" not in body and "hx-get" not in body
    assert "8 of 8 stages done" in body
    page = client_for(people.author).get(run_url(run)).content.decode()
    assert "hx-trigger" not in page


def test_a_finished_run_shows_timings_preview_teacher_calls_and_downloads(people):
    run = finished_run(created_by=people.author, team=people.team_a)
    body = client_for(people.teammate).get(run_url(run)).content.decode()
    outline = run.outline.data
    assert outline["title"] in body
    assert outline["objectives"][0] in body
    assert f"First step: {outline['steps'][0]['title']}" in body
    assert f"{run.research.quality_score}/100" in body
    assert "thin card" in body
    assert "Model maker" in body
    assert "Teacher calls" in body and "Repeated attempts" in body
    assert " ms</td>" in body or " s</td>" in body
    for artifact in run.artifacts.filter(version=run.versions.get()):
        assert reverse("portal:artifact", kwargs={"ref": run.tutorial_id, "pk": artifact.pk}) in body
    assert reverse("portal:notebook", kwargs={"ref": run.tutorial_id, "number": 1}) in body
    assert f'href="{reverse("review:export", kwargs={"ref": run.tutorial_id})}"' in body
    assert "Needs approval (review workflow)" in body
    # Not approved yet: the export says why instead of serving anything.
    refused = client_for(people.teammate).get(reverse("review:export", kwargs={"ref": run.tutorial_id}))
    assert refused.status_code == 409
    assert "Cancel run" not in body and "Retry" not in body


def test_a_failed_run_shows_the_error_and_what_to_do_next(people, team_run):
    failed(team_run)
    body = client_for(people.author).get(run_url(team_run)).content.decode()
    assert "Failed in stage sections (teacher error)" in body
    assert "HTTP 503 from the teacher after 4 attempts" in body
    assert "What to do next:" in body and "then retry" in body
    assert "Retry from the failed stage" in body
    assert "Cancel run" not in body


def test_reviewers_see_no_cancel_or_retry_buttons(people, team_run):
    body = client_for(people.reviewer).get(run_url(team_run)).content.decode()
    assert "Cancel run" not in body


def test_the_timeline_shows_the_latest_events_and_says_how_many_there_are(people, team_run):
    body = client_for(people.author).get(run_url(team_run)).content.decode()
    assert "events.</p>" not in body  # all of them are shown
    for n in range(60):
        run_event(run=team_run, kind="note", message=f"Note number {n}.")
    total = RunEvent.objects.filter(run=team_run).count()
    body = client_for(people.author).get(run_url(team_run)).content.decode()
    assert f"The latest {EVENTS_SHOWN} of {total} events." in body
    assert "Note number 59." in body and "Run created for" not in body


def test_the_teacher_summary_counts_retries_failures_and_what_the_calls_cost(people, team_run):
    assert teacher_summary(team_run) == {
        "calls": 0,
        "retries": 0,
        "failed": 0,
        "repaired": 0,
        "latency_ms": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "http_retries": 0,
        "time": "0 ms",
    }
    call = {"run": team_run, "stage": "sections", "provider": "demo", "model": "alain-demo"}
    TeacherCall.objects.create(**call, attempt=1, outcome="ok", latency_ms=900, prompt_tokens=100, http_attempts=[{}])
    TeacherCall.objects.create(
        **call, attempt=2, outcome="schema_invalid", json_repaired=True, latency_ms=1300, http_attempts=[{}, {}, {}]
    )
    TeacherCall.objects.create(**call, attempt=3, outcome="salvaged", latency_ms=50, completion_tokens=7)
    assert teacher_summary(team_run) == {
        "calls": 3,
        "retries": 2,
        "failed": 1,
        "repaired": 1,
        "latency_ms": 2250,
        "prompt_tokens": 100,
        "completion_tokens": 7,
        "http_retries": 2,
        "time": "2.2 s",
    }


def test_the_page_of_a_finished_run_costs_a_bounded_number_of_queries(people, django_assert_max_num_queries):
    run = finished_run(created_by=people.author, team=people.team_a)
    client = client_for(people.author)
    # The session and its user; the admin check of the lookup, the run; three role checks for
    # cancel and retry; events, versions (with their finding counts), teacher calls, outline and
    # research (one join), the first section, the latest version's files; the navigation's
    # groups. A query per event, version, call or file would exceed it.
    with django_assert_max_num_queries(14):
        response = client.get(run_url(run))
    assert response.status_code == 200


# --- cancel and retry ------------------------------------------------------------------------


def test_the_author_cancels_a_queued_run(people, team_run):
    response = client_for(people.author).post(run_url(team_run, "portal:run_cancel"))
    assert response.status_code == 302
    assert response.url == run_url(team_run)
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.CANCELLED
    assert RunEvent.objects.filter(run=team_run, kind="note", message__contains="alice in the portal").exists()


def test_a_team_author_and_an_admin_may_cancel_too(people, team_run):
    other_author = people.outsider
    other_author.groups.add(people.team_a)
    assert client_for(other_author).post(run_url(team_run, "portal:run_cancel")).status_code == 302
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.CANCELLED
    client_for(people.admin).post(run_url(team_run, "portal:run_retry"))
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED


def test_retry_queues_a_failed_run_again_with_a_task(people, team_run):
    failed(team_run)
    OrmQ.objects.all().delete()
    response = client_for(people.author).post(run_url(team_run, "portal:run_retry"))
    assert response.status_code == 302
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED
    assert team_run.completed_stages == ["research", "outline"]
    assert OrmQ.objects.count() == 1


def test_an_action_the_run_does_not_allow_changes_nothing_and_says_why(people, team_run):
    client = client_for(people.author)
    response = client.post(run_url(team_run, "portal:run_retry"), follow=True)
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED
    assert "Nothing was changed" in response.content.decode()
    assert "only a failed or cancelled run can be retried" in response.content.decode()


@pytest.mark.parametrize("name", ["portal:run_cancel", "portal:run_retry"])
def test_actions_refuse_get(people, team_run, name):
    assert client_for(people.author).get(run_url(team_run, name)).status_code == 405
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED


@pytest.mark.parametrize("name", ["portal:run_cancel", "portal:run_retry"])
def test_actions_refuse_a_post_without_csrf_token(people, team_run, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.author)
    assert client.post(run_url(team_run, name)).status_code == 403
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED


def test_reviewers_and_team_members_cannot_cancel(people, team_run):
    for user in (people.reviewer, people.teammate):
        assert client_for(user).post(run_url(team_run, "portal:run_cancel")).status_code == 403
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED


def test_another_team_and_anonymous_visitors_cannot_cancel(people, team_run):
    assert client_for(people.outsider).post(run_url(team_run, "portal:run_cancel")).status_code == 404
    response = client_for(None).post(run_url(team_run, "portal:run_cancel"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    team_run.refresh_from_db()
    assert team_run.status == RunStatus.QUEUED
