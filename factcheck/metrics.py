"""Operator metrics kept in Redis, and GET /metrics: the Prometheus text format.

Stage timings come from the Redis hashes the workers add to after every task run (factcheck/observability.py:
runs per task name and final state, total seconds per task name), summed over all workers without any
aggregation step. Queue depth is the length of the broker's Redis lists; article counts are one GROUP BY.

/metrics is for a scraper holding FACTCHECK_METRICS_TOKEN (`Authorization: Bearer <token>`) or an
account the registered rule admits (reviewers registers its integrations role, reviewers/roles.py:
admin session or API token). Staff status alone admits nobody.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import cast

import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from rest_framework import authentication, permissions, renderers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from factcheck.observability import TASK_RUNS, TASK_SECONDS, queue_names, redis_client, workers_seen


# --- the Prometheus text format -----------------------------------------------------------------------
def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str, samples: list[tuple[dict, float]]) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples:
            suffix = labels.pop("__suffix__", "") if labels else ""
            rendered = ",".join(f'{k}="{_label(v)}"' for k, v in (labels or {}).items())
            self.lines.append(
                f"{name}{suffix}{{{rendered}}} {value:g}" if rendered else f"{name}{suffix} {value:g}"
            )

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# The apps' own metrics (articles by status, verdicts, ...): each app registers its collector in its
# AppConfig.ready(), so this module never imports them.
COLLECTORS: list[Callable[[Exposition], None]] = []


def register(collector: Callable[[Exposition], None]) -> None:
    if collector not in COLLECTORS:
        COLLECTORS.append(collector)


def collect() -> str:
    out = Exposition()
    for collector in COLLECTORS:
        collector(out)
    client = redis_client()
    try:
        pipe = client.pipeline(transaction=False)
        for queue in queue_names():
            pipe.llen(queue)
        pipe.hlen("unacked")  # kombu's Redis transport: messages delivered to a worker, not yet acknowledged
        pipe.hgetall(TASK_RUNS)
        pipe.hgetall(TASK_SECONDS)
        *depths, unacked, runs, seconds = pipe.execute()
        workers = workers_seen(client)
    except redis.RedisError:
        out.metric("factcheck_broker_up", "gauge", "1 if the broker's Redis answered.", [({}, 0)])
        return out.text()
    out.metric("factcheck_broker_up", "gauge", "1 if the broker's Redis answered.", [({}, 1)])
    out.metric(
        "factcheck_queue_depth",
        "gauge",
        "Messages waiting in a Celery queue.",
        [({"queue": q}, d) for q, d in zip(queue_names(), depths, strict=True)],
    )
    out.metric(
        "factcheck_queue_unacked",
        "gauge",
        "Messages taken by workers, not yet acknowledged.",
        [({}, unacked)],
    )
    run_samples: list[tuple[dict, float]] = []
    count_by_task: dict[str, int] = {}
    for field, value in sorted(runs.items()):
        task, _, state = field.decode().rpartition("|")
        run_samples.append(({"task": task, "state": state}, int(value)))
        count_by_task[task] = count_by_task.get(task, 0) + int(value)
    out.metric("factcheck_task_runs_total", "counter", "Task runs by final state.", run_samples)
    duration = []
    for field, value in sorted(seconds.items()):
        task = field.decode()
        duration.append(({"task": task, "__suffix__": "_sum"}, float(value)))
        duration.append(({"task": task, "__suffix__": "_count"}, count_by_task.get(task, 0)))
    out.metric("factcheck_task_duration_seconds", "summary", "Time spent in tasks (stage timings).", duration)
    out.metric(
        "factcheck_workers_alive",
        "gauge",
        "Workers that sent a heartbeat recently.",
        [({}, workers["alive"])],
    )
    return out.text()


DIGEST_PREFIX = "sha256:"


# --- GET /metrics ------------------------------------------------------------------------------------
class MetricsTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`: a scraper's credential, no user behind it. FACTCHECK_METRICS_TOKEN
    is the token, or `sha256:<hex digest of the token>` so that the server's environment need not hold it
    (the token itself then lives only with the scraper)."""

    def authenticate(self, request):
        scheme, _, credential = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        expected = settings.FACTCHECK_METRICS_TOKEN
        if scheme.lower() != "bearer" or not expected:
            return None
        sent = credential.strip().encode()
        if expected.startswith(DIGEST_PREFIX):
            sent = hashlib.sha256(sent).hexdigest().encode()
            expected = expected.removeprefix(DIGEST_PREFIX).lower()
        if not hmac.compare_digest(sent, expected.encode()):
            raise AuthenticationFailed("Invalid metrics token.")
        return AnonymousUser(), "metrics-token"

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="metrics"'


# Who may read /metrics besides the token's holder: the rule an app registers in AppConfig.ready()
# (reviewers: the integrations role), so this module never imports the apps. Nobody until one does.
_READERS: list[Callable[[User | AnonymousUser], bool]] = []


def allow_readers(rule: Callable[[User | AnonymousUser], bool]) -> None:
    _READERS[:] = [rule]


class MetricsReader(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.auth == "metrics-token":
            return True
        user = request.user
        return bool(user and user.is_authenticated and any(rule(user) for rule in _READERS))


class PrometheusRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):  # an error from DRF's exception handler
            return f"{data.get('detail', data)}\n".encode()
        return data.encode()


class MetricsView(APIView):
    authentication_classes = [
        MetricsTokenAuthentication,
        *cast(list[type[authentication.BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES),
    ]
    permission_classes = [MetricsReader]
    renderer_classes = [PrometheusRenderer]
    throttle_classes = []  # scrapers poll on a schedule; failed tokens are still throttled by the auth class
    schema = None

    def get(self, request):
        response = Response(collect(), content_type="text/plain; version=0.0.4; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response


metrics = MetricsView.as_view()
