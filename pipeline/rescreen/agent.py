"""Delta re-screening: after a rule pack or party list change, open orders are screened again.

Open orders (held, licence-pending, released and not yet shipped) are in the order-state table.
When reference data changes, every worker sends the open orders it holds to `orders.rescreen`
(keyed by order id, so each lands in the partition that owns its state); the agent screens each
against the new snapshot and publishes a follow-up decision only where the route changes. A
follow-up names the decision it supersedes; a re-screen that turns an order into a hold returns its
licence draw. Duplicate triggers are harmless: the second finds the route already changed.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from pipeline.decisions.revisions import Current, StoredHead, encode_current, judge_revision
from pipeline.reference.store import LiveScreener
from pipeline.rescreen.tracking import OrderState, OrderTracker, cancel_request
from pipeline.settings import Settings
from pipeline.worker.observer import NullObserver, WorkerObserver
from pipeline.worker.outputs import Outbound, SourceRecord, decision_messages
from pipeline.worker.partitioner import key_partition
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent

log = logging.getLogger(__name__)

# Marks a decision whose current-decision entry its publisher has already written.
APPLIED_HEADER = "screening-current-applied"


class Rescreener:
    def __init__(
        self,
        settings: Settings,
        tracker: OrderTracker,
        screener: LiveScreener,
        states: Any,
        observer: WorkerObserver | None = None,
    ) -> None:
        self._settings = settings
        self._observer: WorkerObserver = observer or NullObserver()
        self._tracker = tracker
        self._screener = screener
        self._states = states
        self.changed = 0

    def open_order_keys(self) -> list[bytes]:
        """Orders this worker holds state for that are still open."""
        found = []
        for key, raw in list(self._states.items()):
            state = OrderState.decode(raw)
            if state is not None and state.open:
                found.append(key)
        return found

    def awaiting_decision(self, order_id: str) -> bool:
        """True while the open order's decision is still on its way (a licence draw being applied).

        A re-screen then could not name the decision it supersedes, and the order would end with two
        current decisions; the caller asks again a little later.
        """
        state = self._tracker.state(order_id)
        if state is None or not state.open:
            return False
        current = self._tracker.current(order_id)
        return current is None or current.revision < state.revision

    def handle(self, order_id: str) -> list[Outbound]:
        started = time.perf_counter()
        state = self._tracker.state(order_id)
        if state is None or not state.open or state.order is None:
            return []
        order = OrderEvent.model_validate(state.order)
        record = self._screener.screen(order)
        if record.route.value == state.route:
            return []
        current = self._tracker.current(order_id)
        previous = current.decision if current is not None and current.revision == order.revision else None
        if previous is not None and previous.route is Route.RELEASE and record.route is Route.LICENSE:
            # A licence-covered order still needs its licence: the draw it holds still stands.
            return []
        self.changed += 1
        supersedes = previous.decision_id if previous is not None else None
        record = record.model_copy(
            update={
                "supersedes": supersedes,
                "decision_id": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"rescreen/{supersedes}/{record.versions}")
                ),
            }
        )
        out, licence = self._tracker.route(order, record, decision_messages(self._settings, order, record))
        if state.licence and state.licence != licence:
            out = [self._tracker.address(cancel_request(state.licence, order_id, order.revision)), *out]
        self._states[order_id.encode()] = OrderState(
            state.revision, state.status, record.route.value, licence, state.order
        ).encode()
        # A follow-up decision counts like any other (a newly listed party must raise BlockedShipment);
        # one routed to a licence draw is counted by the licence agent.
        if any(message.topic == self._settings.topics.decisions for message in out):
            seconds = time.perf_counter() - started
            self._observer.decided(record, seconds, destination=order.destination_country)
        return out


class CurrentDecisions:
    """Keeps the current decision per order (revision rules), in a table keyed by order id.

    The orders agent applies the decisions it publishes itself and marks them with
    `APPLIED_HEADER`; the tracking agent on `screening.decisions` applies the others (licence
    draws, reviewers' follow-ups) and skips the marked ones without parsing them.
    """

    def __init__(self, table: Any, partitions: int) -> None:
        self._table = table
        self._partitions = partitions

    def accept_own(self, record: DecisionRecord, raw: bytes, source: SourceRecord) -> bool:
        """`accept` for a decision the orders agent publishes while handling `source`, when it can.

        Faust writes a table entry to the changelog partition of the event in hand, which must be the
        order's own partition; an order keyed otherwise upstream is left to the tracking agent.
        """
        if key_partition(record.order_id.encode(), self._partitions) != source.partition:
            return False
        self.accept(record, raw)
        return True

    def handle(self, raw: bytes) -> None:
        try:
            record = DecisionRecord.model_validate_json(raw)
        except ValueError:
            log.warning("unreadable decision on the decisions topic ignored")
            return
        self.accept(record, raw)

    def accept(self, record: DecisionRecord, raw: bytes) -> None:
        """Keep `record` (serialized as `raw`) if it changes what is current for its order."""
        key = record.order_id.encode()
        stored = self._table.get(key)
        head = StoredHead.parse(stored) if stored else None
        if judge_revision(head, record.revision, record.supersedes).changes_current:
            self._table[key] = encode_current(record.revision, raw)

    def lookup(self, order_id: str) -> Current | None:
        stored = self._table.get(order_id.encode())
        return Current.from_json(json.loads(stored)) if stored else None
