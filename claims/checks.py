"""System checks of the claims app: `manage.py check --database default` (and `migrate`, which runs the
database checks) warns when claim matching cannot use vectors. A database check, as Django files checks that
query the database: a plain `check` (and `check --deploy`) stays static; /health/ says the same at run time."""

from __future__ import annotations

from django.core.checks import Warning
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection

from claims import vectors


def pgvector_matching(app_configs=None, databases=None, **kwargs) -> list[Warning]:
    """claims.W001: the database server has no pgvector, or migration claims 0010 ran without it. Only when
    asked to check the default database (Django's rule for database checks)."""
    if not databases or DEFAULT_DB_ALIAS not in databases or connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            offered = cursor.fetchone() is not None
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [vectors.TABLE])
            migrated = cursor.fetchone()[0]
        if not migrated or vectors.available():
            return []  # not migrated yet (migrate adds the column where it can), or vectors in use
    except DatabaseError:
        return []  # the database does not answer: other checks and /health/ say so
    hint = (
        "The server offers pgvector but the column is missing (it was added later): run "
        "`manage.py backfill_match_vectors`, which adds it and fills it."
        if offered
        else "Use a PostgreSQL server with the pgvector extension (the compose file's database image has it), "
        "then run `manage.py backfill_match_vectors` (it adds the column and its index, and fills it)."
    )
    return [
        Warning(
            "Claim matching is lexical only: the database has no claim vectors (pgvector), so claims in "
            "other languages are not matched and /api/v1/matches/ finds same-language texts only.",
            hint=hint,
            id="claims.W001",
        )
    ]
