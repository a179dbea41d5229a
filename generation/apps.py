from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Generation"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from generation import refresh

        # Every deploy runs `migrate`: the nightly refresh schedule follows ALAIN_REFRESH_SCHEDULE.
        post_migrate.connect(refresh.on_post_migrate, sender=self, dispatch_uid="generation.refresh_schedule")
        checks.register(refresh.check_refresh_schedule)
