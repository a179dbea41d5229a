"""The personal API tokens page (sign-in and passwords are Django's auth views, see urls.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from alain_site.accounts.forms import TokenCreateForm
from alain_site.accounts.models import ApiToken
from alain_site.accounts.tokens import create_token, revoke_token


@never_cache  # the response to a creation holds the key: no cache may keep it
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens and create one; a new key is shown in this response only."""
    new_token, new_key = None, None
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            new_token, new_key = create_token(
                request.user,
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
            form = TokenCreateForm()
    else:
        form = TokenCreateForm()
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": new_token,
        "new_key": new_key,
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = revoke_token(request.user, token_id)
    messages.success(request, f"The token “{token.name}” ({token.display_prefix}) is revoked.")
    return redirect("accounts:tokens")
