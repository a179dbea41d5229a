"""API tokens in the admin: to find and revoke them, never to read or mint a key."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from alain_site.accounts.models import ApiToken
from alain_site.accounts.tokens import revoke_tokens


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "display_prefix", "read_only", "created_at", "expires_at", "last_used_at", "status")
    list_filter = ("read_only", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__email", "name", "prefix")
    list_select_related = ("user",)
    # key_hash is left out: it is useless to a person and need not be shown anywhere.
    fields = ("user", "name", "prefix", "read_only", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key is shown once to the person who creates it: users create their own tokens.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Revoke instead, so that the token's history stays.
        return False

    @admin.display(description="Prefix")
    def display_prefix(self, token: ApiToken) -> str:
        return token.display_prefix

    @admin.display(description="Status")
    def status(self, token: ApiToken) -> str:
        return token.status

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = revoke_tokens(queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
