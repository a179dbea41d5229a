"""People and runs for the portal tests: two teams, each role, and runs with real content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from alain_site.accounts.roles import ADMINS, AUTHORS, REVIEWERS
from generation.models import Run
from generation.pipeline.runner import execute_run
from generation.services import RunSource
from providers.demo import DemoTeacher
from tests.generation.factories import make_run


@dataclass
class People:
    author: User  # author in team A
    teammate: User  # member of team A without a role
    reviewer: User  # reviewer in team A
    outsider: User  # author in team B
    admin: User  # in the admins group, no team
    team_a: Group
    team_b: Group


def _user(username: str, *groups: Group, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password=None, **extra)  # force_login needs none
    user.groups.add(*groups)
    return user


@pytest.fixture
def people(db) -> People:
    roles = {name: Group.objects.get_or_create(name=name)[0] for name in (AUTHORS, REVIEWERS, ADMINS)}
    team_a = Group.objects.create(name="team-a")
    team_b = Group.objects.create(name="team-b")
    return People(
        author=_user("alice", roles[AUTHORS], team_a),
        teammate=_user("tom", team_a),
        reviewer=_user("rita", roles[REVIEWERS], team_a),
        outsider=_user("olga", roles[AUTHORS], team_b),
        admin=_user("adam", roles[ADMINS]),
        team_a=team_a,
        team_b=team_b,
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def portal_run(*, created_by: User | None, team: Group | None, **overrides: Any) -> Run:
    """A queued run of the demo teacher, owned like a portal run."""
    run = make_run(**overrides)
    Run.objects.filter(pk=run.pk).update(created_by=created_by, team=team)
    run.refresh_from_db()
    return run


def finished_run(*, created_by: User | None, team: Group | None, card: str | None = None, **overrides: Any) -> Run:
    """A run taken through all eight stages in-process by the demo teacher."""
    if card is not None:
        overrides["source"] = RunSource(kind="text", ref="pasted text", text=card)
    run = portal_run(created_by=created_by, team=team, **overrides)
    return execute_run(run.pk, teacher=DemoTeacher(model="alain-demo"))
