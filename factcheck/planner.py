"""PostgreSQL settings for the statements of one block, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def planner_settings(cursor, **settings: str) -> Iterator[None]:
    """Set these settings (`enable_seqscan="off"`, …) transaction-locally for the statements run inside, then
    put back the values they had, so that the rest of a caller's transaction plans as before (a bare SET LOCAL
    would last to its end). One statement before, one after; must run inside a transaction (PgBouncer's
    transaction pooling keeps it on one server connection). When a statement inside fails, the transaction is
    aborted and its settings go with it: nothing is put back."""
    names = list(settings)
    parts = ", ".join("current_setting(%s, true), set_config(%s, %s, true)" for _ in names)
    cursor.execute(f"SELECT {parts}", [v for name in names for v in (name, name, settings[name])])
    before = cursor.fetchone()[0::2]
    yield
    cursor.execute(
        "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
        [v for name, old in zip(names, before, strict=True) for v in (name, old)],
    )
