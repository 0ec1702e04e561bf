from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Articles and claims"

    def ready(self) -> None:
        # Models can only be imported once the app registry is ready.
        from django.conf import settings
        from django.core import checks

        import claims.archive  # noqa: F401  registers the archive evidence provider (its weight, its name)
        import encoder
        from claims.checks import pgvector_matching
        from claims.metrics import collect_articles
        from factcheck.dbbudget import check_connection_budget
        from factcheck.metrics import register

        register(collect_articles)
        checks.register(check_connection_budget)
        checks.register(pgvector_matching, checks.Tags.database)
        encoder.configure(spec=settings.FACTCHECK_ENCODER, threads=settings.FACTCHECK_ENCODER_THREADS)
