from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        # generation never imports review: it sends a signal when a version finished validation,
        # and the refresh asks through a hook which runs have a live approval.
        from generation import refresh
        from generation.signals import version_validated
        from review.services import on_version_validated, runs_with_live_approval

        version_validated.connect(on_version_validated, dispatch_uid="review.enter_queue")
        refresh.register_approved_runs(runs_with_live_approval)
