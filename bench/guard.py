"""The check every benchmark that writes to a database makes first (bench/README.md)."""

from __future__ import annotations

import os
import sys

from django.conf import settings


def refuse_test_databases() -> None:
    name = settings.DATABASES["default"]["NAME"]
    if name.startswith("test") or "DATABASE_URL" not in os.environ or "REDIS_URL" not in os.environ:
        sys.exit(
            f"Refusing to run against {name!r}: set DATABASE_URL and REDIS_URL to a private bench database."
        )
