"""Capture the SQL statements a block of code sends.

django_assert_num_queries undercounts around the test client (request_started resets the query log),
so this hooks the connection's execute_wrapper instead. Savepoints are left out: the test's own
transaction turns every atomic() into one, which production does not pay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def capture_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        if "SAVEPOINT" not in sql:
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


# Table names quoted (the ORM) or not (hand-written SQL); leading whitespace allowed.
_STATEMENT = re.compile(
    r'^\s*(?:(SELECT) .*? FROM|(INSERT) INTO|(UPDATE)|(DELETE) FROM)\s+"?(\w+)"?', re.DOTALL
)


def summary(statements: list[str]) -> list[str]:
    """Each statement as 'VERB table' (the first table it reads or writes), e.g. 'SELECT reviewers_verdict'."""
    out = []
    for sql in statements:
        match = _STATEMENT.match(sql)
        out.append(f"{next(filter(None, match.groups()))} {match.group(5)}" if match else sql[:60])
    return out
