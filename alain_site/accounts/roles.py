"""Roles and teams, both Django groups, and what each user may see and do.

Roles are the groups named in ROLES: authors generate manuals, reviewers approve them, admins
see everything. Every other group is a team: a run belongs to the team it was generated for,
and a user sees their own runs and their teams' runs. Superusers count as admins.
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
    return Run.objects.filter(Q(created_by=user) | Q(team__in=teams_of(user))).distinct()
