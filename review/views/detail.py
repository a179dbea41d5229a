"""The review page of one version: cells with their findings, editing, regeneration and decisions.

A refused form or a service's refusal re-renders the page with the person's input kept and the
reason next to the form it is about; a success redirects (POST/redirect/GET) with a message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from alain_site.accounts.roles import is_admin, is_reviewer
from generation.models import NotebookVersion, Run
from generation.pipeline.assembly import METADATA_TAG
from generation.rendering import attach_findings, render_notebook
from review import forms as review_forms
from review.views.access import can_edit, forbidden, next_url, review_or_404, version_or_404

HTMX_STOP_POLLING = 286
SEVERITIES = ("error", "warning", "info")

# The status of a page re-rendered because a service refused: the request was understood,
# but the state of the review (or its version) stands in the way.
SERVICE_STATUS = {"NotAllowed": 403, "StaleVersion": 409, "Conflict": 409, "NotApprovable": 409, "InvalidRequest": 400}


def _services():
    from review import services

    return services


def _review_for(version: NotebookVersion):
    from review.models import Review

    return Review.objects.select_related("claimed_by", "decided_by").filter(version=version).first()


def _status_for(exc: Exception) -> int:
    for klass in type(exc).__mro__:
        if klass.__name__ in SERVICE_STATUS:
            return SERVICE_STATUS[klass.__name__]
    return 400


def _message(exc: Exception) -> str:
    return str(getattr(exc, "message", "") or exc)


# --- what the page shows -------------------------------------------------------------------


def _cell_sources(version: NotebookVersion) -> tuple[list[dict[str, Any]], list[Any], str]:
    """Raw cells (for the edit forms), rendered cells and a parse error sentence."""
    try:
        nb = json.loads(version.ipynb)
        raw = list(nb.get("cells") or [])
        return raw, render_notebook(nb), ""
    except (ValueError, AttributeError, TypeError) as exc:
        return [], [], f"The stored notebook is not valid notebook JSON ({exc.__class__.__name__})."


def _source_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source or "")


def findings_context(version: NotebookVersion, cells: list[Any] | None = None) -> dict[str, Any]:
    """Findings of the version, on their cells, with counts; what the findings partial shows."""
    found = list(version.findings.order_by("cell_index", "id"))
    if cells is None:
        _raw, cells, _error = _cell_sources(version)
    general = attach_findings(cells, found)
    counts = {severity: sum(1 for f in found if f.severity == severity) for severity in SEVERITIES}
    return {"version": version, "cells": cells, "general_findings": general, "counts": counts}


def _cell_forms(
    run: Run, version: NotebookVersion, raw: list[dict[str, Any]], cells: list[Any], bound: dict[Any, Any]
) -> None:
    """Attach the edit, move and remove forms (bound if that one was just refused) to each cell."""
    for cell in cells:
        number = cell.number
        source = _source_text(raw[cell.index]) if cell.index < len(raw) else ""
        cell.edit_form = bound.get(("edit", number)) or review_forms.EditCellForm(
            prefix=f"edit{number}", initial={"source": source, "reason": f"Edited cell {number}"}
        )
        cell.edit_form.fields["source"].label = f"Source of cell {number}"
        cell.move_form = bound.get(("move", number)) or review_forms.MoveCellForm(
            prefix=f"move{number}", initial={"reason": f"Moved cell {number}"}
        )
        cell.move_form.fields["to"].widget.attrs["max"] = len(cells)
        cell.remove_form = bound.get(("remove", number)) or review_forms.RemoveCellForm(
            prefix=f"remove{number}", initial={"reason": f"Removed cell {number}"}
        )
        cell.locked = METADATA_TAG in cell.tags
        cell.open_form = next((kind for kind in ("edit", "move", "remove") if (kind, number) in bound), "")


def page_context(
    request: HttpRequest, *, run: Run, version: NotebookVersion, review: Any, bound: dict[Any, Any] | None = None
) -> dict[str, Any]:
    services = _services()
    user = request.user
    bound = bound or {}
    raw, cells, parse_error = _cell_sources(version)
    found = findings_context(version, cells)
    _cell_forms(run, version, raw, cells, bound)
    versions = list(run.versions.order_by("number"))
    latest = versions[-1] if versions else version
    approved = services.approved_version(run)
    sha = {"expected_sha256": version.sha256}
    decision_forms = {
        name: bound.get(name) or klass(prefix=name, initial=sha) for name, klass in review_forms.DECISION_FORMS.items()
    }
    reviewer = is_reviewer(user)
    admin = is_admin(user)
    claimed_by_me = bool(review and review.claimed_by_id == user.pk)
    is_author = run.created_by_id == user.pk
    open_states = {"pending_review", "in_review"}
    step_count = run.sections.count()
    return {
        **found,
        "run": run,
        "version": version,
        "review": review,
        "versions": versions,
        "latest": latest,
        "is_latest": latest.pk == version.pk,
        "approved": approved,
        "parse_error": parse_error,
        "can_edit": can_edit(user, run) and latest.pk == version.pk,
        "is_reviewer": reviewer,
        "is_author": is_author,
        "claimed_by_me": claimed_by_me,
        "can_claim": reviewer and not is_author and review is not None and review.state == "pending_review",
        "can_release": review is not None and review.state == "in_review" and (claimed_by_me or admin),
        "can_decide": review is not None and review.state == "in_review" and (claimed_by_me or admin),
        "review_open": review is not None and review.state in open_states,
        "decision_forms": decision_forms,
        "decision_errors": any(name in bound for name in review_forms.DECISION_FORMS),
        "add_form": bound.get("add")
        or review_forms.AddCellForm(prefix="add", initial={"position": len(cells) + 1, "cell_type": "markdown"}),
        "add_open": "add" in bound,
        "regenerate_form": bound.get("regenerate") or review_forms.RegenerateForm(prefix="regenerate"),
        "regenerate_open": "regenerate" in bound,
        "step_count": step_count,
        "poll": not version.validated,
        "announce": review is None,
    }


def render_page(
    request: HttpRequest,
    *,
    run: Run,
    version: NotebookVersion,
    review: Any,
    bound: dict[Any, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = page_context(request, run=run, version=version, review=review, bound=bound)
    return render(request, "review/detail.html", context, status=status)


def page_url(run: Run, version: NotebookVersion, review: Any = None) -> str:
    review = review if review is not None else _review_for(version)
    if review is not None:
        return reverse("review:detail", kwargs={"pk": review.pk})
    return reverse("review:version", kwargs={"ref": run.tutorial_id, "number": version.number})


# --- pages ---------------------------------------------------------------------------------


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_or_404(request.user, pk)
    return render_page(request, run=review.run, version=review.version, review=review)


@login_required
@require_GET
def version_page(request: HttpRequest, ref: str, number: int) -> HttpResponse:
    """A version by number: its review page, or (before it has entered the queue) the same page without decisions."""
    run, version = version_or_404(request.user, ref, number)
    review = _review_for(version)
    if review is not None:
        return redirect("review:detail", pk=review.pk)
    return render_page(request, run=run, version=version, review=None)


@require_GET
def findings(request: HttpRequest, ref: str, number: int) -> HttpResponse:
    """The findings of a version, polled while it is being validated; 286 (no more polls) once it is."""
    if not request.user.is_authenticated:
        here = reverse("review:version", kwargs={"ref": ref, "number": number})
        if request.htmx:
            response = HttpResponse(status=HTMX_STOP_POLLING)
            response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': here})}"
            return response
        return redirect_to_login(request.get_full_path())
    run, version = version_or_404(request.user, ref, number)
    context = {**findings_context(version), "run": run, "poll": not version.validated, "oob": True}
    review = context["review"] = _review_for(version)
    context["announce"] = request.GET.get("announce") == "1"
    # Validation stamps its verdict into the notebook, which changes the version's sha256: the
    # final answer refreshes the decision forms' fingerprint (out of band) for whoever may
    # decide, or their next decision about this very version would be refused as stale.
    may_decide = review is not None and review.state == "in_review"
    may_decide = may_decide and (review.claimed_by_id == request.user.pk or is_admin(request.user))
    if version.validated and may_decide:
        context["decision_sha"] = {"sha256": version.sha256, "forms": list(review_forms.DECISION_FORMS)}
    response = render(request, "review/_findings.html", context)
    if version.validated:
        response.status_code = HTMX_STOP_POLLING
    return response


# --- claim, release, decisions -----------------------------------------------------------


def _claim_or_release(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    review = review_or_404(request.user, pk)
    if not is_reviewer(request.user):
        return forbidden(
            request,
            title=f"You cannot {action} reviews",
            reason="Claiming and releasing reviews needs the reviewer role; ask an administrator for it.",
        )
    services = _services()
    try:
        if action == "claim":
            services.claim(review, request.user)
            messages.success(request, f"You claimed the review of {review.run.tutorial_id} v{review.version.number}.")
        else:
            services.release(review, request.user)
            messages.success(request, f"The review of {review.run.tutorial_id} v{review.version.number} is released.")
    except services.ReviewError as exc:
        messages.error(request, f"Nothing was changed: {_message(exc)}")
    return redirect(next_url(request, reverse("review:detail", kwargs={"pk": review.pk})))


@login_required
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_or_release(request, pk, "claim")


@login_required
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_or_release(request, pk, "release")


DECISION_DONE = {
    "approve": "Version {n} is approved; it can now be exported.",
    "request_changes": "Changes are requested on version {n}; the author sees your comment.",
    "reject": "Version {n} is rejected.",
}


@login_required
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in review_forms.DECISION_FORMS:
        raise Http404("No such decision.")
    review = review_or_404(request.user, pk)
    form = review_forms.DECISION_FORMS[decision](request.POST, prefix=decision)
    status = 200
    if form.is_valid():
        services = _services()
        act = getattr(services, decision)
        try:
            act(
                review,
                request.user,
                expected_sha256=form.cleaned_data["expected_sha256"],
                comment=form.cleaned_data["comment"],
            )
        except services.ReviewError as exc:
            form.add_error(None, _message(exc))
            status = _status_for(exc)
            review.refresh_from_db()
        else:
            messages.success(request, DECISION_DONE[decision].format(n=review.version.number))
            return redirect("review:detail", pk=review.pk)
    return render_page(
        request, run=review.run, version=review.version, review=review, bound={decision: form}, status=status
    )


# --- edits: each makes a new version -------------------------------------------------------


def _after_edit(request: HttpRequest, run: Run, new_version: Any, what: str) -> HttpResponse:
    if isinstance(new_version, NotebookVersion):
        messages.success(
            request,
            f"{what} Saved as version {new_version.number}. Revalidation is running in the background; "
            "the findings on this page update when it is done.",
        )
        return redirect(page_url(run, new_version))
    latest = run.versions.order_by("-number").first()
    messages.success(request, what)
    return redirect(page_url(run, latest))


def _edit(
    request: HttpRequest,
    run: Run,
    version: NotebookVersion,
    *,
    key: Any,
    form_class: type[django_forms.Form],
    prefix: str,
    call: Any,
    done: str,
) -> HttpResponse:
    form = form_class(request.POST, prefix=prefix)
    status = 200
    if form.is_valid():
        services = _services()
        try:
            result = call(services, run, version, form.cleaned_data)
        except services.ReviewError as exc:
            form.add_error(None, _message(exc))
            status = _status_for(exc)
        else:
            return _after_edit(request, run, result, done)
    return render_page(request, run=run, version=version, review=_review_for(version), bound={key: form}, status=status)


def _cell_count(version: NotebookVersion) -> int:
    try:
        return len(json.loads(version.ipynb).get("cells") or [])
    except (ValueError, AttributeError, TypeError):
        return 0


def _check_position(version: NotebookVersion, position: int) -> None:
    if not 1 <= position <= _cell_count(version):
        raise Http404("This version has no such cell.")


@login_required
@require_POST
def edit_cell(request: HttpRequest, ref: str, number: int, position: int) -> HttpResponse:
    run, version = version_or_404(request.user, ref, number)
    _check_position(version, position)
    return _edit(
        request,
        run,
        version,
        key=("edit", position),
        form_class=review_forms.EditCellForm,
        prefix=f"edit{position}",
        call=lambda s, run, v, data: s.edit_cell(
            v, request.user, index=position - 1, source=data["source"], reason=data["reason"]
        ),
        done=f"Cell {position} is changed.",
    )


@login_required
@require_POST
def move_cell(request: HttpRequest, ref: str, number: int, position: int) -> HttpResponse:
    run, version = version_or_404(request.user, ref, number)
    _check_position(version, position)
    return _edit(
        request,
        run,
        version,
        key=("move", position),
        form_class=review_forms.MoveCellForm,
        prefix=f"move{position}",
        call=lambda s, run, v, data: s.move_cell(
            v, request.user, index=position - 1, to=data["to"] - 1, reason=data["reason"]
        ),
        done=f"Cell {position} is moved.",
    )


@login_required
@require_POST
def remove_cell(request: HttpRequest, ref: str, number: int, position: int) -> HttpResponse:
    run, version = version_or_404(request.user, ref, number)
    _check_position(version, position)
    return _edit(
        request,
        run,
        version,
        key=("remove", position),
        form_class=review_forms.RemoveCellForm,
        prefix=f"remove{position}",
        call=lambda s, run, v, data: s.remove_cell(v, request.user, index=position - 1, reason=data["reason"]),
        done=f"Cell {position} is removed.",
    )


@login_required
@require_POST
def add_cell(request: HttpRequest, ref: str, number: int) -> HttpResponse:
    run, version = version_or_404(request.user, ref, number)
    return _edit(
        request,
        run,
        version,
        key="add",
        form_class=review_forms.AddCellForm,
        prefix="add",
        call=lambda s, run, v, data: s.add_cell(
            v,
            request.user,
            index=data["position"] - 1,
            cell_type=data["cell_type"],
            source=data["source"],
            reason=data["reason"],
        ),
        done="A cell is added.",
    )


@login_required
@require_POST
def regenerate(request: HttpRequest, ref: str, number: int) -> HttpResponse:
    run, version = version_or_404(request.user, ref, number)
    return _edit(
        request,
        run,
        version,
        key="regenerate",
        form_class=review_forms.RegenerateForm,
        prefix="regenerate",
        call=lambda s, run, v, data: s.request_section_regeneration(
            run, request.user, index=data["step"] - 1, instruction=data["instruction"]
        ),
        done="The step is being written again by the teacher; it becomes a new version when done.",
    )
