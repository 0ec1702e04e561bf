"""A real webhook receiver on this run's loopback address and helpers to subscribe it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from factcheck.celery import app
from publishing import services
from publishing.models import SUBSCRIBABLE, MessageStatus, WebhookMessage, WebhookSubscription
from publishing.tasks import deliver_webhook_task
from tests.conftest import wait_for
from tests.support.loopback import LoopbackServer, Request, Response


class Receiver(LoopbackServer):
    """Answers scripted responses in order (then 204), recording every request with its raw body."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.script: list[Response] = []
        self.arrived = threading.Event()

    def route(self, request: Request) -> Response:
        self.arrived.set()
        if self.script:
            return self.script.pop(0)
        return 204, {}, b""

    def answer(self, *responses: Response) -> None:
        self.script.extend(responses)

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/factcheck"


@pytest.fixture
def receiver(allow_loopback_servers) -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def subscribe(url: str, events=tuple(value for value, _label in SUBSCRIBABLE)) -> WebhookSubscription:
    return services.create_subscription(url=url, events=list(events))


def deliver_through_worker(broker: str, message: WebhookMessage, *, timeout: float, what: str) -> None:
    """Queue the message's delivery on `broker` (a worker of the test's own listens there) and wait until it
    is delivered."""
    with app.connection_for_write(broker) as connection:
        deliver_webhook_task.apply_async((message.pk,), connection=connection)
    wait_for(
        lambda: WebhookMessage.objects.filter(pk=message.pk, status=MessageStatus.DELIVERED).exists(),
        timeout=timeout,
        message=what,
    )


@pytest.fixture
def fast_retries(settings):
    settings.FACTCHECK_WEBHOOK_RETRY_BASE = 0.01
    settings.FACTCHECK_WEBHOOK_TIMEOUT = 2.0
    return settings
