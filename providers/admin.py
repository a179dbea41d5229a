"""Read-only admin views of the provider governor: breakers and the call slots held right now."""

from __future__ import annotations

from django.contrib import admin, messages

from providers.governor import reset_provider
from providers.models import ProviderLease, ProviderState


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows here are written by the governor only; an edit by hand would break its counting."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProviderState)
class ProviderStateAdmin(ReadOnlyAdmin):
    list_display = ("provider", "state", "consecutive_failures", "opened_at", "last_failure", "updated_at")
    list_filter = ("state",)
    search_fields = ("provider",)
    actions = ["reset_breakers"]

    @admin.action(description="Close the breaker of the selected providers (they are known to be back)")
    def reset_breakers(self, request, queryset) -> None:
        providers = list(queryset.values_list("provider", flat=True))
        for provider in providers:
            reset_provider(provider)
        self.message_user(request, f"Breaker closed for: {', '.join(providers)}.", messages.SUCCESS)


@admin.register(ProviderLease)
class ProviderLeaseAdmin(ReadOnlyAdmin):
    list_display = ("provider", "holder", "probe", "acquired_at", "expires_at")
    list_filter = ("provider", "probe")
    search_fields = ("holder",)
    ordering = ("provider", "acquired_at")
