from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "alain_site.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from alain_site.observability import metrics

        metrics.register()
