"""gunicorn settings for the web service: `gunicorn -c gunicorn.conf.py factcheck.wsgi:application`.

Everything is configurable from the environment (see .env.example). Logs go to stdout/stderr for the
container runtime; with LOG_FORMAT=json (the production default) the access log and gunicorn's own
messages are one JSON object per line, like the application's (factcheck/logging.py).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from gunicorn import glogging

from factcheck.envfile import load_env_file
from factcheck.logging import JsonFormatter, log_format

load_env_file()  # GUNICORN_* and the rest: the environment first, then the checkout's .env


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"
# Sync workers: each request holds one process, so the count bounds concurrency (and database
# connections: one per process with persistent connections). 2–4 per core is the usual range.
workers = _int("WEB_CONCURRENCY", 3)
threads = _int("GUNICORN_THREADS", 1)
# A request taking longer is killed and logged: the API does no slow work in requests (the pipeline is
# in Celery), so a long one is a stuck database or a bug, not normal load.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # in-flight requests finish on SIGTERM
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # behind a reverse proxy that reuses connections
# Recycle workers now and then, so that slow memory growth (fragmentation) cannot accumulate.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# The worker heartbeat files live in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
# Proxies trusted for X-Forwarded-*: gunicorn reads FORWARDED_ALLOW_IPS itself (default 127.0.0.1,::1).


class JsonLogger(glogging.Logger):
    """gunicorn's access and error logs as JSON objects, values escaped (a format string cannot do that)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        status = str(resp.status).split(None, 1)[0]
        headers = {name.lower(): value for name, value in (resp.headers or [])}
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status) if status.isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": headers.get("x-request-id"),
        }
        self.access_log.info(json.dumps({k: v for k, v in entry.items() if v is not None}))


if log_format() == "json":
    logger_class = JsonLogger
