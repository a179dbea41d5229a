"""My runs / team runs: scoped to what the user may see, filterable, paginated, with ages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from generation.models import Run, RunStatus
from tests.portal.conftest import client_for, portal_run

pytestmark = pytest.mark.django_db

URL = reverse("portal:runs")


def listed(user, query: str = "") -> str:
    response = client_for(user).get(f"{URL}?{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def runs(people):
    mine = portal_run(created_by=people.author, team=people.team_a, subject="acme/alpha-model")
    solo = portal_run(created_by=people.author, team=None, subject="acme/solo-model")
    teams = portal_run(created_by=people.teammate, team=people.team_a, subject="acme/team-model")
    other = portal_run(created_by=people.outsider, team=people.team_b, subject="other/secret-model")
    Run.objects.filter(pk=teams.pk).update(status=RunStatus.FAILED, created_at=timezone.now() - timedelta(hours=3))
    return {"mine": mine, "solo": solo, "teams": teams, "other": other}


def test_anonymous_visitors_are_sent_to_sign_in():
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_my_runs_are_the_ones_i_created(people, runs):
    body = listed(people.author, "scope=mine")
    assert "acme/alpha-model" in body and "acme/solo-model" in body
    assert "acme/team-model" not in body and "other/secret-model" not in body


def test_team_runs_are_my_teams_runs_and_never_another_teams(people, runs):
    body = listed(people.teammate, "scope=team")
    assert "acme/alpha-model" in body and "acme/team-model" in body
    assert "acme/solo-model" not in body and "other/secret-model" not in body
    assert "3\xa0hours ago" in body
    assert listed(people.reviewer, "scope=team").count("acme/") == 2


def test_an_outsider_sees_only_their_own_team(people, runs):
    body = listed(people.outsider, "scope=team")
    assert "other/secret-model" in body
    assert "acme/" not in body


def test_admins_may_list_every_run_and_others_may_not(people, runs):
    body = listed(people.admin, "scope=all")
    for subject in ("acme/alpha-model", "acme/solo-model", "acme/team-model", "other/secret-model"):
        assert subject in body
    assert "other/secret-model" not in listed(people.author, "scope=all")


def test_runs_filter_by_status_and_text(people, runs):
    body = listed(people.teammate, "scope=team&status=failed")
    assert "acme/team-model" in body and "acme/alpha-model" not in body
    body = listed(people.author, "scope=mine&q=SOLO")
    assert "acme/solo-model" in body and "acme/alpha-model" not in body
    body = listed(people.author, f"scope=mine&q={runs['mine'].tutorial_id}")
    assert "acme/alpha-model" in body and "acme/solo-model" not in body
    assert "No run matches these filters." in listed(people.author, "scope=mine&q=nothing-like-this")


def test_an_unknown_status_filter_is_ignored_rather_than_failing(people, runs):
    body = listed(people.author, "scope=mine&status=bogus")
    assert "acme/alpha-model" in body


def test_lists_are_paginated_by_25(people):
    for n in range(27):
        portal_run(created_by=people.author, team=None, subject=f"acme/model-{n:02d}")
    first = listed(people.author, "scope=mine")
    assert first.count('<th scope="row"><a href="/runs/') == 25
    assert "page 1 of 2" in first
    assert "page=2" in first and "scope=mine" in first
    second = listed(people.author, "scope=mine&page=2")
    assert second.count('<th scope="row"><a href="/runs/') == 2
    assert "acme/model-00" in second
