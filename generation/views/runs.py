"""A run's page, its live progress, the cancel/retry actions, and the lists of runs."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from alain_site.accounts.roles import is_admin, teams_of, visible_runs
from generation import queueing, services
from generation.forms import RunFilterForm
from generation.models import Run
from generation.views.access import can_act_on_run, forbidden, visible_run_or_404
from generation.views.run_state import run_context

# htmx 2 stops polling when a poll is answered with this status.
HTMX_STOP_POLLING = 286
RUNS_PER_PAGE = 25
SCOPES = {"mine": "My runs", "team": "Team runs", "all": "All runs"}


@login_required
@require_GET
def run_detail(request: HttpRequest, ref: str) -> HttpResponse:
    run = visible_run_or_404(request.user, ref)
    context = run_context(run, user_can_act=can_act_on_run(request.user, run))
    return render(request, "portal/run.html", context)


@require_GET
def run_progress(request: HttpRequest, ref: str) -> HttpResponse:
    """The live part of the run page; once the run has ended, answered with 286 (no more polls)."""
    if not request.user.is_authenticated:
        run_page = reverse("portal:run", kwargs={"ref": ref})
        if request.htmx:
            # A poll after the session ended: send the whole page to sign-in, not into the panel.
            response = HttpResponse(status=HTMX_STOP_POLLING)
            response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': run_page})}"
            return response
        return redirect_to_login(request.get_full_path())
    run = visible_run_or_404(request.user, ref)
    context = run_context(run, user_can_act=can_act_on_run(request.user, run))
    response = render(request, "portal/_run_progress.html", context)
    if run.is_finished:
        response.status_code = HTMX_STOP_POLLING
    return response


def _act(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    run = visible_run_or_404(request.user, ref)
    if not can_act_on_run(request.user, run):
        return forbidden(
            request,
            title=f"You cannot {action} this run",
            reason="Only authors and administrators can cancel or retry runs; reviewers can read them.",
        )
    who = request.user.get_username()
    try:
        if action == "cancel":
            services.run_cancel(run=run, reason=f"by {who} in the portal")
            messages.success(
                request, f"Run {run.tutorial_id} is cancelled; a worker running it stops at its next check."
            )
        else:
            queueing.retry_run(run, reason=f"Retried by {who} in the portal; it resumes at its first unfinished stage.")
            messages.success(request, f"Run {run.tutorial_id} is queued again; it keeps the stages already done.")
    except services.InvalidTransition as exc:
        messages.error(request, f"Nothing was changed: {exc}.")
    return redirect("portal:run", ref=run.tutorial_id)


@login_required
@require_POST
def run_cancel(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(request, ref, "cancel")


@login_required
@require_POST
def run_retry(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(request, ref, "retry")


def scoped_runs(user, scope: str) -> QuerySet[Run]:
    """Runs of a list: the user's own, their teams', or (admins) everyone's."""
    runs = visible_runs(user)
    if scope == "mine":
        return runs.filter(created_by=user)
    if scope == "team":
        return runs.filter(team__in=teams_of(user))
    return runs


def filter_runs(runs: QuerySet[Run], form: RunFilterForm) -> QuerySet[Run]:
    if not form.is_valid():
        return runs
    if status := form.cleaned_data["status"]:
        runs = runs.filter(status=status)
    if text := form.cleaned_data["q"].strip():
        runs = runs.filter(Q(subject_model__icontains=text) | Q(tutorial_id__icontains=text))
    return runs


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    admin = is_admin(request.user)
    scope = request.GET.get("scope", "mine")
    if scope not in SCOPES or (scope == "all" and not admin):
        scope = "mine"
    form = RunFilterForm(request.GET or None)
    runs = filter_runs(scoped_runs(request.user, scope), form).select_related("team", "created_by")
    page = Paginator(runs.order_by("-created_at", "-id"), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    scopes = [(key, label) for key, label in SCOPES.items() if key != "all" or admin]
    return render(
        request,
        "portal/runs.html",
        {
            "page": page,
            "form": form,
            "scope": scope,
            "scope_label": SCOPES[scope],
            "scopes": scopes,
            "teams": list(teams_of(request.user)),
            "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        },
    )
