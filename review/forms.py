"""Forms of the review pages: what a reviewer or an author asks for, checked before any service runs.

Cell positions are shown and typed 1-based ("cell 3", "step 2"), as the pages number them; the
views turn them into the 0-based indexes the services take. Every decision form carries the
sha256 of the version the person was looking at, so a decision about a version that changed
meanwhile is refused by the service instead of applying to notebook text nobody read.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group

from alain_site.accounts.roles import ROLES

REASON_MAX = 160  # NotebookVersion.reason is 200 characters; the services may prefix it.

CELL_TYPES = [("markdown", "Markdown (text)"), ("code", "Code")]


def review_states() -> list[tuple[str, str]]:
    from review.models import ReviewState

    return list(ReviewState.choices)


class QueueFilterForm(forms.Form):
    """The queue's filters (a GET form: every field optional)."""

    state = forms.ChoiceField(label="State", required=False)
    team = forms.ModelChoiceField(label="Team", required=False, queryset=Group.objects.none(), empty_label="Any team")
    provider = forms.ChoiceField(label="Teacher provider", required=False)
    min_age_hours = forms.IntegerField(
        label="Waiting at least (hours)", required=False, min_value=0, max_value=24 * 365
    )
    failing_validator = forms.ChoiceField(label="Failing validator", required=False)
    mine = forms.BooleanField(label="Only what is waiting for me (claimed by me)", required=False)

    def __init__(
        self,
        *args: Any,
        teams: Any = None,
        providers: list[str] | None = None,
        validators: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "Open (pending or in review)"), *review_states(), ("all", "Any state")]
        self.fields["team"].queryset = teams if teams is not None else Group.objects.exclude(name__in=ROLES)
        self.fields["provider"].choices = [("", "Any provider"), *((p, p) for p in providers or [])]
        self.fields["failing_validator"].choices = [("", "Any or none"), *((v, v) for v in validators or [])]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `review.services.queue`, from the valid fields."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "state": data["state"] or None,
            "team": data["team"],
            "provider": data["provider"] or None,
            "min_age_hours": data["min_age_hours"],
            "failing_validator": data["failing_validator"] or None,
            "mine": bool(data["mine"]),
        }


class _VersionBound(forms.Form):
    expected_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=64)

    def clean_expected_sha256(self) -> str:
        value = self.cleaned_data["expected_sha256"].strip().lower()
        if any(ch not in "0123456789abcdef" for ch in value):
            raise forms.ValidationError("The version fingerprint sent with the form is not valid; reload the page.")
        return value


class ApproveForm(_VersionBound):
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit trail with your approval.",
    )


class RequestChangesForm(_VersionBound):
    comment = forms.CharField(
        label="What must change",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required: the author reads this to know what to fix.",
        error_messages={"required": "Say what must change: a comment is required to request changes."},
    )


class RejectForm(_VersionBound):
    comment = forms.CharField(
        label="Why it is rejected",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required: kept in the audit trail.",
        error_messages={"required": "Say why: a comment is required to reject a version."},
    )


DECISION_FORMS: dict[str, type[_VersionBound]] = {
    "approve": ApproveForm,
    "request_changes": RequestChangesForm,
    "reject": RejectForm,
}


def _reason_field(
    help_text: str = "Kept with the new version and in the audit trail; left empty, ALAIN describes the change.",
) -> forms.CharField:
    return forms.CharField(label="Reason for the change", required=False, max_length=REASON_MAX, help_text=help_text)


class EditCellForm(forms.Form):
    source = forms.CharField(
        label="Cell source",
        strip=False,
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )
    reason = _reason_field()


class AddCellForm(forms.Form):
    position = forms.IntegerField(
        label="Position of the new cell",
        min_value=1,
        help_text="1 puts it first; one more than the number of cells puts it last.",
    )
    cell_type = forms.ChoiceField(label="Kind of cell", choices=CELL_TYPES, widget=forms.RadioSelect)
    source = forms.CharField(
        label="Source",
        strip=False,
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    reason = _reason_field()


class RemoveCellForm(forms.Form):
    reason = _reason_field()


class MoveCellForm(forms.Form):
    to = forms.IntegerField(label="Move to position", min_value=1, help_text="The cell's new number.")
    reason = _reason_field()


class RegenerateForm(forms.Form):
    step = forms.IntegerField(label="Step number", min_value=1, help_text="The “Step N” section to write again.")
    instruction = forms.CharField(
        label="Instruction to the teacher (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: “use the pipeline API and explain the temperature setting”.",
    )
