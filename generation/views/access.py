"""Who may see and act on what: the portal's lookups, on top of `alain_site.accounts.roles`."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from alain_site.accounts.roles import can_author, is_admin, visible_runs
from generation.models import Run


def visible_run_or_404(user: Any, ref: str) -> Run:
    """The run named by its tutorial id or public id, if `user` may see it; 404 otherwise.

    A run the user may not see is answered like one that does not exist, so ids of other
    teams' runs cannot be probed.
    """
    runs = visible_runs(user).select_related("team", "created_by")
    try:
        lookup = {"public_id": uuid.UUID(ref)}
    except ValueError:
        lookup = {"tutorial_id": ref}
    return get_object_or_404(runs, **lookup)


def can_act_on_run(user: Any, run: Run) -> bool:
    """Cancel and retry: authors (and admins) among those who see the run; reviewers only read."""
    return is_admin(user) or can_author(user)


def forbidden(request: HttpRequest, *, title: str, reason: str) -> HttpResponse:
    return render(request, "portal/forbidden.html", {"title": title, "reason": reason}, status=403)
