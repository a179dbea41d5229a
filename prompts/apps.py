from django.apps import AppConfig


class PromptsConfig(AppConfig):
    name = "prompts"
    verbose_name = "ALAIN prompts"

    def ready(self) -> None:
        from prompts import checks  # noqa: F401  (registers the system checks)
