from django.apps import AppConfig

from claims.signals import article_finished
from reviewers.signals import verdict_recorded


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        # Django's idiom: receivers import models, which only exist once the app registry is ready.
        from publishing import receivers

        # Both signals are sent inside the writing transaction, so the outbox rows written by these
        # receivers commit or roll back together with the verdict / article change.
        verdict_recorded.connect(receivers.on_verdict_recorded, dispatch_uid="publishing.verdict_recorded")
        article_finished.connect(receivers.on_article_finished, dispatch_uid="publishing.article_finished")
