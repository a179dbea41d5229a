"""Generate: the form that queues a run for the background workers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from alain_site.accounts.roles import can_author, teams_of
from generation.forms import SOURCE_FIELDS, GenerateForm
from generation.queueing import queue_new_run
from generation.services import RunOptionsError
from generation.views.access import forbidden
from generation.views.pages import demo_in_use, load_catalog
from providers.catalog import PROVIDERS


def _fallback_catalog() -> list[dict[str, Any]]:
    # Without the catalog, offer every registered provider by key: submitting still checks it.
    return [{"key": key, "label": key, "models": [], "default": key == "demo"} for key in PROVIDERS]


@login_required
def generate(request: HttpRequest) -> HttpResponse:
    if not can_author(request.user):
        return forbidden(
            request,
            title="Generating manuals needs the author role",
            reason="Your account may read and review manuals but not generate them; "
            "ask an administrator to add you to the authors group.",
        )
    catalog, catalog_error = load_catalog()
    form = GenerateForm(
        request.POST or None,
        request.FILES or None,
        catalog=catalog or _fallback_catalog(),
        teams=teams_of(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = queue_new_run(
                source=form.source,
                options=form.options,
                subject=form.subject,
                created_by=request.user,
                team=form.cleaned_data.get("team"),
            )
        except RunOptionsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Run {run.tutorial_id} is queued; this page follows its progress.")
            return redirect("portal:run", ref=run.tutorial_id)
    return render(
        request,
        "portal/generate.html",
        {
            "form": form,
            "catalog_error": catalog_error,
            "demo_in_use": not catalog_error and demo_in_use(catalog),
            "source_fields": [(kind, form[name]) for kind, name in SOURCE_FIELDS.items()],
        },
    )
