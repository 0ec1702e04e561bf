"""Celery side of observability: log context, stage timings and worker heartbeats. Imported for its signal
handlers by factcheck/celery.py; no model imports, so it is safe to import before the apps are ready.

- task_prerun binds the task name and id and the article/claim ids of the task's arguments (or those the
  publisher was working on, carried in a message header) to the log context; task_postrun clears it and
  adds the run to two Redis hashes (runs per task and state, seconds per task) that /metrics reads.
- Each worker stamps HEARTBEATS every HEARTBEAT_INTERVAL seconds from its timer (a bootstep), so /health/
  can tell whether any worker is alive without a broadcast round trip.
- setup_logging: workers and beat use the project's LOGGING (JSON or plain) instead of Celery's format.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import logging.config
import os
import time
from functools import lru_cache

import redis
from celery import bootsteps, signals
from django.conf import settings

from factcheck import logging as log_context

log = logging.getLogger(__name__)

PREFIX = "factcheck:metrics:"
TASK_RUNS = PREFIX + "task_runs"  # field "<task name>|<state>" -> runs
TASK_SECONDS = PREFIX + "task_seconds"  # field "<task name>" -> total seconds
HEARTBEATS = PREFIX + "worker_heartbeats"  # field worker hostname -> unix time of its last beat
HEARTBEAT_INTERVAL = 15.0
HEARTBEAT_FRESH = 60.0  # "seen recently": several missed beats, not one late one
HEARTBEAT_FORGET = 86400.0  # entries of workers gone for a day are dropped
CONTEXT_HEADER = "factcheck_context"
ID_PARAMETERS = ("article_id", "claim_id")

_clients: dict[str, redis.Redis] = {}
_started: dict[str, tuple[float, contextvars.Token]] = {}  # task id -> (monotonic start, log context token)


def redis_client() -> redis.Redis:
    """The broker's Redis with short timeouts: metrics must never hang a request or a task for long."""
    url = settings.CELERY_BROKER_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return client


def queue_names() -> list[str]:
    return list(settings.CELERY_TASK_QUEUES)


def record_task_run(task_name: str, state: str, seconds: float) -> None:
    pipe = redis_client().pipeline(transaction=False)
    pipe.hincrby(TASK_RUNS, f"{task_name}|{state}", 1)
    pipe.hincrbyfloat(TASK_SECONDS, task_name, seconds)
    pipe.execute()


def record_heartbeat(hostname: str, *, now: float | None = None) -> None:
    redis_client().hset(HEARTBEATS, hostname, time.time() if now is None else now)


def workers_seen(client: redis.Redis | None = None) -> dict:
    """How many workers beat within HEARTBEAT_FRESH seconds, and how long ago the newest beat was."""
    client = client or redis_client()
    now = time.time()
    ages = {}
    for name, stamp in client.hgetall(HEARTBEATS).items():
        try:
            ages[name] = now - float(stamp)
        except ValueError:
            ages[name] = HEARTBEAT_FORGET + 1
    gone = [name for name, age in ages.items() if age > HEARTBEAT_FORGET]
    if gone:
        client.hdel(HEARTBEATS, *gone)
    return {
        "alive": sum(1 for age in ages.values() if age <= HEARTBEAT_FRESH),
        "last_seen_seconds_ago": round(max(0.0, min(ages.values())), 1) if ages else None,
    }


# --- log context ------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _signature(task) -> inspect.Signature | None:
    try:
        return inspect.signature(task.run)
    except (TypeError, ValueError):
        return None


def task_ids(task, args, kwargs) -> dict:
    """The article_id / claim_id arguments of this call, by parameter name (tasks take ids, STYLE 5)."""
    signature = _signature(task)
    if signature is None:
        return {}
    try:
        bound = signature.bind_partial(*(args or ()), **(kwargs or {})).arguments
    except TypeError:
        return {}
    return {name: bound[name] for name in ID_PARAMETERS if isinstance(bound.get(name), int)}


@signals.before_task_publish.connect
def carry_context(headers=None, **kwargs) -> None:
    """A task published while handling an article (API request or another task) carries its ids along."""
    ids = {k: v for k, v in log_context.current().items() if k in ("request_id", *ID_PARAMETERS)}
    if ids and headers is not None:
        headers[CONTEXT_HEADER] = ids


@signals.task_prerun.connect
def task_started(task_id=None, task=None, args=None, kwargs=None, **extra) -> None:
    inherited = getattr(task.request, CONTEXT_HEADER, None) or {}
    ids = {k: v for k, v in inherited.items() if k in ("request_id", *ID_PARAMETERS)}
    ids.update(task_ids(task, args, kwargs))  # the task's own arguments win over inherited ones
    token = log_context.bind(task=task.name, task_id=task_id, **ids)
    _started[task_id] = (time.monotonic(), token)


@signals.task_postrun.connect
def task_finished(task_id=None, task=None, state=None, **extra) -> None:
    started, token = _started.pop(task_id, (None, None))
    if token is not None:
        log_context.reset(token)
    if started is None:
        return
    try:
        record_task_run(task.name, state or "UNKNOWN", time.monotonic() - started)
    except redis.RedisError as exc:  # metrics are best effort; the task's own outcome stands
        log.debug("could not record task metrics: %s", exc)


# --- logging in workers and beat --------------------------------------------------------------------
@signals.setup_logging.connect
def use_project_logging(loglevel=None, **kwargs) -> None:
    """Connected, so Celery leaves logging alone: the same handlers, format and context as the web."""
    logging.config.dictConfig(settings.LOGGING)
    if loglevel and not os.environ.get("LOG_LEVEL"):
        logging.getLogger().setLevel(loglevel)


# --- worker heartbeats ------------------------------------------------------------------------------
class Heartbeat(bootsteps.StartStopStep):
    """Stamp this worker's hostname into HEARTBEATS now and every HEARTBEAT_INTERVAL seconds."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None
        self.hostname = ""

    def start(self, worker) -> None:
        self.hostname = worker.hostname
        self.beat()
        self.timer_ref = worker.timer.call_repeatedly(HEARTBEAT_INTERVAL, self.beat, priority=10)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
        try:  # a clean shutdown disappears at once instead of HEARTBEAT_FRESH seconds later
            redis_client().hdel(HEARTBEATS, self.hostname)
        except redis.RedisError:
            pass

    def beat(self) -> None:
        try:
            record_heartbeat(self.hostname)
        except redis.RedisError as exc:  # the broker is down: the worker reconnects on its own
            log.debug("could not record heartbeat: %s", exc)


@signals.celeryd_init.connect
def add_heartbeat_step(instance=None, **kwargs) -> None:
    # celeryd_init runs before the worker builds its blueprint from app.steps.
    if instance is not None:
        instance.app.steps["worker"].add(Heartbeat)
