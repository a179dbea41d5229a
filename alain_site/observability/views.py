"""The reports page: the generation funnel and the diversity scorecard, for a chosen window."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alain_site.accounts.roles import is_admin, visible_runs
from alain_site.observability.reports import (
    DEFAULT_WINDOW,
    FUNNEL_STEPS,
    STEP_LABELS,
    WINDOW_CHOICES,
    InvalidWindow,
    Window,
    full_report,
    parse_window,
)


def _window_label(window: Window) -> str:
    return f"Last {window.description.removeprefix('the last ')}"


class ReportWindowForm(forms.Form):
    since = forms.CharField(label="Runs created in", widget=forms.Select)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        choices = [(label, _window_label(parse_window(label))) for label in WINDOW_CHOICES]
        # A valid window typed into the address (?since=14d) stays selectable.
        asked = str(data.get("since") or "").strip()
        if asked and asked not in WINDOW_CHOICES:
            try:
                window = parse_window(asked)
            except InvalidWindow:
                pass
            else:
                choices.append((asked, _window_label(window)))
        self.fields["since"].widget.choices = choices

    def clean_since(self) -> Window:
        try:
            return parse_window(self.cleaned_data["since"])
        except InvalidWindow as exc:
            raise forms.ValidationError(str(exc), code="invalid_window") from exc


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    form = ReportWindowForm({"since": request.GET.get("since") or DEFAULT_WINDOW})
    context: dict[str, Any] = {
        "form": form,
        "all_runs": is_admin(request.user),
        "step_labels": [STEP_LABELS[key] for key in FUNNEL_STEPS],
    }
    if not form.is_valid():
        return render(request, "portal/reports.html", context, status=400)
    context["report"] = full_report(window=form.cleaned_data["since"], runs=visible_runs(request.user))
    return render(request, "portal/reports.html", context)
