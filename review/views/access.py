"""Lookups of the review pages: everything goes through `visible_runs`, so other teams' ids 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from alain_site.accounts.roles import visible_runs
from generation.models import NotebookVersion, Run
from generation.views.access import forbidden, visible_run_or_404

__all__ = [
    "can_edit",
    "forbidden",
    "next_url",
    "review_or_404",
    "version_or_404",
    "visible_run_or_404",
]


def review_or_404(user: Any, pk: int):
    """The review with this id, if its run is one the user may see; 404 otherwise."""
    from review.models import Review

    reviews = Review.objects.select_related("run", "run__team", "run__created_by", "version", "claimed_by")
    return get_object_or_404(reviews, pk=pk, run__in=visible_runs(user))


def version_or_404(user: Any, ref: str, number: int) -> tuple[Run, NotebookVersion]:
    run = visible_run_or_404(user, ref)
    return run, get_object_or_404(run.versions, number=number)


def can_edit(user: Any, run: Run) -> bool:
    """Who is offered the editing forms: reviewers, admins and the run's own author.

    The services decide again on every save; this only keeps forms away from people who could
    not use them.
    """
    from review.services import can_edit as may_edit

    return may_edit(run, user)


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` field of a POST if it is a path on this site, else `default`."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
