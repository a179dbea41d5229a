"""Roles and teams, both Django groups, and what each user may see and do.

Roles are the groups named in ROLES: authors generate manuals, reviewers approve them, admins
see everything. Every other group is a team: a run belongs to the team it was generated for,
and a user sees their own runs and their teams' runs. Superusers count as admins.

Managing roles and teams (Django admin, "Authentication and Authorization"):

- The three role groups are created by migration 0001_role_groups; do not rename them.
- A team is any other group: add a group named after the team under "Groups" (no permissions
  are needed on it: what a team member sees is decided here, not by Django permissions).
- Put a person in roles and teams on their user page, field "Groups". A run is shared with the
  team chosen when it is generated; removing someone from a group hides that team's runs.

`ensure_role` and `add_to_team` do the same from code (tests, shell, management commands).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import Q, QuerySet

AUTHORS = "authors"
REVIEWERS = "reviewers"
ADMINS = "admins"
ROLES: tuple[str, ...] = (AUTHORS, REVIEWERS, ADMINS)

AnyUser = AbstractBaseUser | AnonymousUser


def _in_group(user: AnyUser, name: str) -> bool:
    return bool(user.is_authenticated and user.groups.filter(name=name).exists())


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _in_group(user, ADMINS)))


def is_reviewer(user: AnyUser) -> bool:
    return is_admin(user) or _in_group(user, REVIEWERS)


def can_author(user: AnyUser) -> bool:
    return is_admin(user) or _in_group(user, AUTHORS)


def teams_of(user: AnyUser) -> QuerySet[Group]:
    """The user's teams: their groups that are not roles."""
    if not user.is_authenticated:
        return Group.objects.none()
    return user.groups.exclude(name__in=ROLES).order_by("name")


def visible_runs(user: AnyUser) -> QuerySet:
    """Runs the user may see: all for admins; else their own and their teams' runs."""
    from generation.models import Run

    if not user.is_authenticated:
        return Run.objects.none()
    if is_admin(user):
        return Run.objects.all()
    # The teams are a subquery, not a join: no run can come twice, so no DISTINCT (which made
    # PostgreSQL compare whole rows, card text and JSON included, on every list).
    return Run.objects.filter(Q(created_by=user) | Q(team__in=teams_of(user)))


def ensure_role(user: AbstractBaseUser, role: str) -> Group:
    """Give the user one of the ROLES (creating its group if a migration has not)."""
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role; roles are {', '.join(ROLES)}")
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return group


def add_to_team(user: AbstractBaseUser, team_name: str) -> Group:
    """Put the user in the team, creating the team's group if needed; return the group."""
    team_name = team_name.strip()
    if not team_name:
        raise ValueError("a team needs a name")
    if team_name in ROLES:
        raise ValueError(f"{team_name!r} is a role, not a team")
    group, _ = Group.objects.get_or_create(name=team_name)
    user.groups.add(group)
    return group
