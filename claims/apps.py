from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Articles and claims"

    def ready(self) -> None:
        # Models can only be imported once the app registry is ready.
        from claims.metrics import collect_articles
        from factcheck.metrics import register

        register(collect_articles)
