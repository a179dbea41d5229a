"""The review queue: counts per state, filters, oldest first, claim and release from the list."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alain_site.accounts.roles import ROLES, is_admin, is_reviewer, teams_of, visible_runs
from generation.models import Finding
from review.forms import QueueFilterForm
from review.views.access import forbidden

REVIEWS_PER_PAGE = 25


def _filter_choices(user: Any) -> dict[str, Any]:
    from django.contrib.auth.models import Group

    runs = visible_runs(user)
    providers = sorted(set(runs.values_list("teacher_provider", flat=True)) - {""})
    validators = sorted(
        set(
            Finding.objects.filter(version__run__in=runs, severity=Finding.Severity.ERROR).values_list(
                "validator", flat=True
            )
        )
    )
    teams = Group.objects.exclude(name__in=ROLES).order_by("name") if is_admin(user) else teams_of(user)
    return {"teams": teams, "providers": providers, "validators": validators}


def _changes(run: Any) -> Any:
    from review.diffs import changes_since_approved

    try:
        return changes_since_approved(run)
    except Exception:  # one odd run must not take the whole queue down
        return None


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    from review import services
    from review.models import ReviewState

    user = request.user
    if not is_reviewer(user):
        return forbidden(
            request,
            title="The review queue is for reviewers",
            reason="Your account does not have the reviewer role, so it cannot review manuals; "
            "an administrator can add you to the reviewers group.",
        )
    form = QueueFilterForm(request.GET or None, **_filter_choices(user))
    try:
        reviews = services.queue(user, **form.filters())  # visible runs only, oldest first
    except services.ReviewError as exc:
        form.add_error(None, exc.message)
        reviews = services.queue(user)
    page = Paginator(reviews, REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"review": review, "changes": _changes(review.run)} for review in page.object_list]
    counts = services.queue_counts(user)
    states = [{"key": key, "label": label, "count": counts.get(key, 0)} for key, label in ReviewState.choices]
    return render(
        request,
        "review/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "states": states,
            "waiting_for_me": counts.get("mine", 0),
            "filtered": form.is_bound and form.is_valid() and any(v for k, v in form.cleaned_data.items()),
            "here": request.get_full_path(),
        },
    )
