from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        # generation never imports review: it sends a signal when a version finished validation.
        from generation.signals import version_validated
        from review.services import on_version_validated

        version_validated.connect(on_version_validated, dispatch_uid="review.enter_queue")
