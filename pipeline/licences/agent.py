"""The licence agent: applies draw requests to the balance of their licence, then decides the order.

Draw requests are keyed by licence number, so all draws on one licence meet in one partition and
are applied one at a time by whichever worker owns it. Each licence's ledger lives in a table backed
by a compacted changelog, so it survives restarts and moves with its partition on rebalance.

Crash safety: faust commits the request's offset only after the agent has handled it. If a worker
dies after the ledger was written but before the decision went out, the request is delivered again;
the ledger knows that order revision and changes nothing, and the recorded outcome is published
again with the same decision id. A draw is therefore applied exactly once; a decision at least once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import faust
from pydantic import ValidationError

from pipeline.kafka.topics import table_name
from pipeline.licences.ledger import LicenceLedger
from pipeline.licences.outcome import final_decision
from pipeline.licences.requests import DrawRequest
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from pipeline.worker.changelog import changelog_table
from pipeline.worker.observer import NullObserver, PipelineObserver
from pipeline.worker.outputs import Outbound, decision_messages
from pipeline.worker.publisher import Publisher
from pipeline.worker.stall_guard import StallGuard
from schemas.licence import Licence

log = logging.getLogger(__name__)


class LicenceDesk:
    """Broker-free core of the agent: one request in, the messages to publish out."""

    def __init__(
        self, settings: Settings, store: ReferenceStore, table: Any, observer: PipelineObserver | None = None
    ) -> None:
        self._settings = settings
        self._store = store
        self._table = table
        self._observer: PipelineObserver = observer or NullObserver()

    def ledger(self, licence_number: str) -> LicenceLedger:
        raw = self._table.get(licence_number.encode())
        return LicenceLedger.from_json(json.loads(raw) if raw else None)

    def handle(self, raw: bytes) -> list[Outbound]:
        started = time.perf_counter()
        try:
            request = DrawRequest.model_validate_json(raw)
        except ValidationError:
            log.exception("unreadable draw request dropped")
            return []
        snapshot = self._store.current
        licence = snapshot.licences.get(request.licence_number)
        ledger = self.ledger(request.licence_number)
        lines = [line.as_draw() for line in request.lines]
        outcome = ledger.apply(
            licence, request.order_id, request.revision, lines, cancelled=request.cancelled
        )
        if outcome.stale:
            return []
        if not outcome.replayed:
            self._table[request.licence_number.encode()] = json.dumps(ledger.to_json()).encode()
            if licence is not None:
                self._report_usage(licence, ledger)
        decision = final_decision(request, outcome, snapshot.versions.get("licences"))
        if decision is None or request.order is None:
            return []
        messages = decision_messages(self._settings, request.order, decision)
        seconds = time.perf_counter() - started
        self._observer.decided(decision, seconds, destination=request.order.destination_country)
        return messages

    def _report_usage(self, licence: Licence, ledger: LicenceLedger) -> None:
        """The licence's most drawn item, by quantity, stands for the licence."""
        left = ledger.balance(licence)
        usage = [(item.quantity - left[item.item_id][0], item.quantity) for item in licence.items]
        if usage:
            drawn, granted = max(usage, key=lambda pair: pair[0] / pair[1])
            self._observer.licence_usage(licence.number, drawn, granted)


def draw_message(settings: Settings, request: DrawRequest) -> Outbound:
    """`request` addressed to its licence's partition of the draws topic."""
    return Outbound(
        settings.topics.licence_draws, request.licence_number.encode(), request.model_dump_json().encode()
    )


def register(
    app: faust.App,
    settings: Settings,
    store: ReferenceStore,
    publisher: Publisher,
    observer: PipelineObserver | None = None,
) -> Callable[[DrawRequest], Outbound]:
    """Add the ledger table and the draw agent; return how the order worker addresses a request."""
    names = settings.topics
    draws = app.topic(
        names.licence_draws,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.order_partitions,
    )
    table = changelog_table(
        app, table_name(settings, "licence-ledger"), publisher, partitions=settings.order_partitions
    )
    desk = LicenceDesk(settings, store, table, observer)
    guard = StallGuard(names.licence_draws)

    async def apply_draws(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            # Requests faust skipped after a rebalance (pipeline/worker/stall_guard.py) go first.
            for record in await guard.skipped_records(app, settings.bootstrap_servers, message):
                await apply(record.partition, record.offset, record.value)
            await apply(message.partition, message.offset, event.value)

    async def apply(partition: int, offset: int, value: bytes | None) -> None:
        await publisher.send_all(desk.handle(value or b""))
        guard.handled(partition, offset)

    app.agent(draws, name=f"{settings.app_id}.licence-draws")(apply_draws)
    guard.watch(app)

    return lambda request: draw_message(settings, request)
