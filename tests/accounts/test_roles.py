"""Who sees which runs: roles and teams (alain_site/accounts/roles.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from alain_site.accounts.roles import (
    ADMINS,
    AUTHORS,
    REVIEWERS,
    add_to_team,
    can_author,
    ensure_role,
    is_admin,
    is_reviewer,
    teams_of,
    visible_runs,
)
from tests.generation.factories import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user):
    """Two teams with one run each, a run of nobody's team, and people around them."""
    author = make_user("author")
    ensure_role(author, AUTHORS)
    red = add_to_team(author, "red")
    teammate = make_user("teammate")
    add_to_team(teammate, "red")
    outsider = make_user("outsider")
    blue = add_to_team(outsider, "blue")
    runs = {
        "own": make_run(created_by=author, team=None),
        "red": make_run(created_by=make_user("someone"), team=red),
        "blue": make_run(created_by=outsider, team=blue),
    }
    return {"author": author, "teammate": teammate, "outsider": outsider, "runs": runs}


def ids(*runs):
    return {run.pk for run in runs}


def test_the_role_groups_exist():
    from django.contrib.auth.models import Group

    assert set(Group.objects.filter(name__in=(AUTHORS, REVIEWERS, ADMINS)).values_list("name", flat=True)) == {
        AUTHORS,
        REVIEWERS,
        ADMINS,
    }


def test_anonymous_sees_no_runs(world):
    assert not visible_runs(AnonymousUser()).exists()


def test_an_author_sees_own_and_team_runs(world):
    runs = world["runs"]

    assert set(visible_runs(world["author"]).values_list("pk", flat=True)) == ids(runs["own"], runs["red"])


def test_a_run_both_ones_own_and_ones_teams_is_listed_once(world):
    author = world["author"]
    add_to_team(author, "green")
    own_for_red = make_run(created_by=author, team=world["runs"]["red"].team)
    runs = world["runs"]

    listed = list(visible_runs(author).order_by("pk").values_list("pk", flat=True))
    assert listed == sorted(ids(runs["own"], runs["red"], own_for_red))
    assert visible_runs(author).count() == 3


def test_a_team_member_sees_the_team_run(world):
    runs = world["runs"]

    assert set(visible_runs(world["teammate"]).values_list("pk", flat=True)) == ids(runs["red"])


def test_another_team_sees_none_of_them(world):
    runs = world["runs"]

    assert set(visible_runs(world["outsider"]).values_list("pk", flat=True)) == ids(runs["blue"])


def test_a_user_without_team_or_runs_sees_nothing(world, make_user):
    assert not visible_runs(make_user("newcomer")).exists()


def test_a_role_is_not_a_team(world, make_user):
    # Every author is in the "authors" group, which must not share their runs.
    other_author = make_user("other-author")
    ensure_role(other_author, AUTHORS)

    assert not visible_runs(other_author).exists()
    assert list(teams_of(world["author"]).values_list("name", flat=True)) == ["red"]


def test_the_admins_group_sees_every_run(world, make_user):
    admin = make_user("admin")
    ensure_role(admin, ADMINS)

    assert visible_runs(admin).count() == 3
    assert is_admin(admin)
    assert is_reviewer(admin)
    assert can_author(admin)


def test_a_superuser_sees_every_run(world, make_user):
    root = make_user("root", is_superuser=True, is_staff=True)

    assert visible_runs(root).count() == 3


def test_a_run_seen_through_two_paths_is_listed_once(world):
    # Own run shared with own team: one row, not two.
    world["runs"]["own"].team = teams_of(world["author"]).get()
    world["runs"]["own"].save()

    assert visible_runs(world["author"]).count() == 2


def test_roles_say_what_a_user_may_do(make_user):
    reviewer = make_user("reviewer")
    ensure_role(reviewer, REVIEWERS)

    assert is_reviewer(reviewer)
    assert not can_author(reviewer)
    assert not is_admin(reviewer)
    assert not is_reviewer(AnonymousUser())


def test_role_and_team_helpers_refuse_mixups(user):
    with pytest.raises(ValueError):
        ensure_role(user, "red")
    with pytest.raises(ValueError):
        add_to_team(user, ADMINS)
    with pytest.raises(ValueError):
        add_to_team(user, "  ")
