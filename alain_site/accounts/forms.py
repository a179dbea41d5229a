"""Forms of the accounts pages (sign-in and passwords use Django's own auth forms)."""

from __future__ import annotations

from django import forms

from alain_site.accounts.tokens import EXPIRY_MAX_DAYS, EXPIRY_MIN_DAYS, NAME_MAX_LENGTH

EXPIRY_RANGE_MESSAGE = f"Enter a whole number of days from {EXPIRY_MIN_DAYS} to {EXPIRY_MAX_DAYS}, or leave it empty."


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="What the token is for, such as “CI exports”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Give the token a name."},
    )
    read_only = forms.BooleanField(
        required=False,
        label="Read only",
        help_text="The token can read runs and manuals but not start, change or approve anything.",
    )
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=EXPIRY_MIN_DAYS,
        max_value=EXPIRY_MAX_DAYS,
        label="Expires after (days)",
        help_text=f"From {EXPIRY_MIN_DAYS} to {EXPIRY_MAX_DAYS}; leave empty for a token that does not expire.",
        widget=forms.NumberInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={
            "invalid": EXPIRY_RANGE_MESSAGE,
            "min_value": EXPIRY_RANGE_MESSAGE,
            "max_value": EXPIRY_RANGE_MESSAGE,
        },
    )
