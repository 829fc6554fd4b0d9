"""Run the console: load the open holds from `holds.current` into the projection and follow it, serve
the web app and the hold-queue gauges on /metrics, optionally apply reviews.

`holds.current` is written by the review applier: run one (`screening holds apply-reviews`, or
`apply_reviews=True` here, which runs it in the console's process); any number may run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CollectorRegistry

from pipeline.console.app import build_app
from pipeline.console.auth import ConsoleConfigError, check_session_secret, parse_users
from pipeline.console.context import SignInPolicy
from pipeline.holds.audit_log import AuditLog
from pipeline.holds.claims import ClaimBook
from pipeline.holds.clearances import ClearanceRegister
from pipeline.holds.queue import HoldQueue
from pipeline.holds.signing import SigningKeyError
from pipeline.kafka import review_applier
from pipeline.kafka.holds import (
    KafkaOutbox,
    QueueFeeder,
    desk_feeder,
    desk_topics,
    ensure_topics,
    follow_decisions,
    hold_queue_topics,
    read_allowlist,
    read_topics,
)
from pipeline.metrics.holds import register_hold_queue_metrics
from pipeline.settings import Settings

DEFAULT_PORT = 8080


def bind_address(settings: Settings) -> tuple[str, int]:
    """Host and port of `Settings.console_url`, the address people open."""
    url = urlsplit(settings.console_url)
    return url.hostname or "127.0.0.1", url.port or DEFAULT_PORT


async def serve_console(
    settings: Settings, *, apply_reviews: bool = False, ready: asyncio.Event | None = None
) -> None:
    """Serve until cancelled; `ready` is set once the projection caught up and the port listens."""
    users = parse_users(settings.console_users)
    if not users:
        msg = "no console users configured (SCREENING_CONSOLE_USERS)"
        raise ConsoleConfigError(msg)
    secret = check_session_secret(settings.console_session_secret.get_secret_value())
    try:
        outbox = KafkaOutbox(settings)
    except SigningKeyError as exc:
        raise ConsoleConfigError(str(exc)) from exc
    await ensure_topics(settings)
    queue = HoldQueue()
    await outbox.start()
    clearances = ClearanceRegister()
    caught_up = asyncio.Event()
    applier_started = asyncio.Event()
    feeder = QueueFeeder(queue)

    async def on_caught_up() -> None:
        feeder.live = True
        caught_up.set()

    tasks = [
        asyncio.create_task(
            read_topics(settings, hold_queue_topics(settings), feeder, on_caught_up=on_caught_up)
        ),
        asyncio.create_task(follow_decisions(settings, queue)),
        asyncio.create_task(read_allowlist(settings, clearances)),
    ]
    claims, audit_log, desk_caught_up, desk_reader = _desk_reader(settings)
    tasks.append(desk_reader)
    if apply_reviews:
        tasks.append(asyncio.create_task(review_applier.run(settings, started=applier_started)))
    else:
        applier_started.set()
    registry = CollectorRegistry()
    register_hold_queue_metrics(registry, queue, hold_sla_seconds=settings.hold_sla_seconds)
    app = build_app(
        queue,
        outbox,
        users,
        secret,
        policy=SignInPolicy.from_settings(settings),
        metrics=registry,
        clearances=clearances,
        claims=claims,
        audit_log=audit_log,
        hold_sla_seconds=settings.hold_sla_seconds,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        host, port = bind_address(settings)
        await web.TCPSite(runner, host, port).start()
        await _wait_ready(tasks, caught_up, desk_caught_up, applier_started)
        if ready is not None:
            ready.set()
        # asyncio.wait, unlike gather, leaves the tasks alone when this coroutine is cancelled, so each
        # is cancelled exactly once below and can close its Kafka clients undisturbed.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runner.cleanup()
        await outbox.stop()


def _desk_reader(settings: Settings) -> tuple[ClaimBook, AuditLog, asyncio.Event, asyncio.Task[None]]:
    """The audit trail and the claims, read by a reader of their own beside the queue's."""
    claims = ClaimBook()
    audit_log = AuditLog()
    caught_up = asyncio.Event()

    async def on_caught_up() -> None:
        caught_up.set()

    reader = asyncio.create_task(
        read_topics(
            settings,
            desk_topics(settings),
            desk_feeder(settings, audit_log, claims),
            on_caught_up=on_caught_up,
        )
    )
    return claims, audit_log, caught_up, reader


async def _wait_ready(tasks: list[asyncio.Task[None]], *events: asyncio.Event) -> None:
    """Wait for every event, failing fast when a background task dies first."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        pending: set[asyncio.Task[None] | asyncio.Task[bool]] = {*tasks, *waiters}
        while not all(event.is_set() for event in events):
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task in tasks:
                    task.result()
    finally:
        for waiter in waiters:
            waiter.cancel()
