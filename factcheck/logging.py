"""Structured logs: which article, claim and request a log line is about, in web and worker processes.

The ids live in context variables. A small middleware (factcheck/middleware.py) binds them for an API
request, Celery task_prerun/task_postrun handlers (factcheck/observability.py) for a task run, and
`ContextFilter` copies them onto every record that passes a handler. `JsonFormatter` writes one JSON
object per line (LOG_FORMAT=json, the production default); the plain format appends the same ids.
No Django import here: gunicorn's config loads this module before the application.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
from datetime import UTC, datetime

# The fields a log line can be about; None when unknown. Kept flat so that log search can filter on them.
CONTEXT_FIELDS = ("request_id", "task", "task_id", "article_id", "claim_id")
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("factcheck_log_context", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and goes into the JSON object.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def log_format() -> str:
    """`json` or `plain`: LOG_FORMAT, else json in production and plain in development."""
    default = "json" if os.environ.get("FACTCHECK_ENV", "").strip() == "production" else "plain"
    return os.environ.get("LOG_FORMAT", "").strip().lower() or default


def bind(**ids) -> contextvars.Token:
    """Add ids to the current context (None values are ignored); returns a token for `reset`."""
    current = dict(_context.get() or {})
    current.update({key: value for key, value in ids.items() if value is not None})
    return _context.set(current)


def reset(token: contextvars.Token) -> None:
    _context.set(token.old_value if token.old_value is not contextvars.Token.MISSING else None)


def current() -> dict:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Put the bound ids on the record (as attributes, None when unset) and a short `context` suffix."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _context.get() or {}
        for field in CONTEXT_FIELDS:
            if getattr(record, field, None) is None:
                setattr(record, field, ids.get(field))
        shown = [f"{field}={getattr(record, field)}" for field in CONTEXT_FIELDS if getattr(record, field)]
        record.context = f" [{' '.join(shown)}]" if shown else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context ids that are set, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "context" and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra that JSON cannot represent must never cost the log line.
        return json.dumps(entry, default=str, ensure_ascii=False)
