"""The orders agent's last step: the order's state, stale revisions, licence routing and retention.

Held, licence-pending and released orders stay open (re-screening works from their state) until a
`shipped` or `cancelled` revision closes them, a reviewer denies the hold (`current.py`) or their
retention runs out (`Settings.state_retention_days` after the ship date). A closed or expired
order's entry is deleted, which writes a tombstone to the table's changelog.

A revision of an order whose state was removed is handled as a new order: screened and decided
afresh (a licence order draws again, which can only under-use a licence, never over-draw it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from pipeline.flow.outputs import (
    MAX_DECISION_BYTES,
    Outbound,
    SourceRecord,
    decision_messages,
    fit_decision,
)
from pipeline.flow.retention import ExpiryIndex
from pipeline.flow.state import OrderState, StateHead, Table, expiry_date
from pipeline.flow.undecided import UndecidedOrders, UndecidedSnapshot
from pipeline.licences.requests import DrawRequest, plan_draw
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent, OrderStatus

Address = Callable[[DrawRequest], Outbound]


def utc_today() -> date:
    return datetime.now(UTC).date()


def cancel_request(licence: str, order_id: str, revision: int) -> DrawRequest:
    return DrawRequest(licence_number=licence, order_id=order_id, revision=revision, cancelled=True)


def close_request(licence: str, order_id: str, revision: int) -> DrawRequest:
    return DrawRequest(licence_number=licence, order_id=order_id, revision=revision, closed=True)


def own_decision(messages: list[Outbound], order_id: str, topic: str) -> Outbound | None:
    """The order's own decision among `messages`: the one its state keeps."""
    for message in messages:
        decision = message.decision
        if message.topic == topic and decision is not None and decision.order_id == order_id:
            return message
    return None


class OrderTracker:
    def __init__(
        self,
        settings: Settings,
        store: ReferenceStore,
        states: Table,
        address: Address,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._settings = settings
        self._store = store
        self._states = states
        self._today = today
        self.address = address
        self.expiry = ExpiryIndex()
        self.undecided = UndecidedOrders()
        self.dropped = 0
        self.closed = 0
        self.expired = 0

    def state(self, order_id: str) -> OrderState | None:
        return OrderState.decode(self._states.get(order_id.encode()))

    def head(self, order_id: str) -> StateHead | None:
        return OrderState.decode_head(self._states.get(order_id.encode()))

    def finish(
        self, order: OrderEvent, record: DecisionRecord, messages: list[Outbound], source: SourceRecord
    ) -> list[Outbound]:
        """What to publish for a screened order event (`source`: the record it came in)."""
        prior = self.state(order.order_id)
        if prior is not None and order.revision < prior.head.revision:
            # An older revision changes nothing: a newer one's decision is already out.
            self.dropped += 1
            return []
        if prior is not None and order.revision == prior.head.revision:
            # A repeat (redelivered after a crash, or sent twice). The state may have been saved while
            # the decision never left (kill -9 in between), so publish it again: same decision id.
            return self.route(order, record, messages)[0]
        if order.status is not OrderStatus.ACTIVE:
            return self._close(order, prior, record, messages)
        out, licence = self.route(order, record, messages)
        if prior is not None and prior.head.licence and prior.head.licence != licence:
            out = [self.address(cancel_request(prior.head.licence, order.order_id, order.revision)), *out]
        own = own_decision(out, order.order_id, self._settings.topics.decisions)
        decided: int | None = None
        decision_id: str | None = None
        decision_json = b""
        if own is not None and own.decision is not None:
            decided, decision_id, decision_json = own.decision.revision, own.decision.decision_id, own.value
        elif prior is not None:
            # A licence draw is on its way: the earlier revision's decision stays current until then.
            decided, decision_id = prior.head.decided, prior.head.decision_id
            decision_json = prior.decision_json
        head = StateHead(
            order.revision,
            source.partition,
            expiry_date(order.ship_date, order.event_time.date(), self._settings.state_retention_days),
            record.route.value,
            licence,
            decided,
            decision_id,
        )
        self._write(order.order_id.encode(), OrderState(head, source.value or b"", decision_json), prior)
        return out

    def close_open(self, order: OrderEvent) -> list[Outbound] | None:
        """A newer `shipped` or `cancelled` revision of an open order, settled without screening it
        (nothing is published for it but its licence settlement); None for any other event."""
        if order.status is OrderStatus.ACTIVE:
            return None
        prior = self.state(order.order_id)
        if prior is None or order.revision <= prior.head.revision:
            return None
        return self._settle(order, prior)

    def _close(
        self, order: OrderEvent, prior: OrderState | None, record: DecisionRecord, messages: list[Outbound]
    ) -> list[Outbound]:
        """A shipped or cancelled revision: the order's state goes, and its draw is settled."""
        if prior is None:
            if order.status is OrderStatus.SHIPPED:
                # Shipped without our having seen it open: decided as any order, nothing kept.
                return self.route(order, record, messages)[0]
            return []
        return self._settle(order, prior)

    def _settle(self, order: OrderEvent, prior: OrderState) -> list[Outbound]:
        self.remove(order.order_id.encode(), prior.head)
        self.closed += 1
        licence = prior.head.licence
        if licence is None:
            return []
        # A cancellation returns the draw; shipping keeps it drawn and drops the order's draw record.
        settle = cancel_request if order.status is OrderStatus.CANCELLED else close_request
        return [self.address(settle(licence, order.order_id, order.revision))]

    def _write(self, key: bytes, state: OrderState, prior: OrderState | None) -> None:
        self._states[key] = state.encode()
        if prior is not None:
            self.expiry.discard(prior.head.partition, prior.head.expires, key)
        self.expiry.add(state.head.partition, state.head.expires, key)
        self.undecided.note(key, state.head)

    def write(self, order_id: str, state: OrderState, prior: OrderState) -> None:
        """Replace the order's state (a decision arrived, or a re-screen changed its route)."""
        self._write(order_id.encode(), state, prior)

    def remove(self, key: bytes, head: StateHead) -> None:
        del self._states[key]
        self.expiry.discard(head.partition, head.expires, key)
        self.undecided.discard(key)

    def undecided_orders(self) -> UndecidedSnapshot:
        """Orders whose decision is owed; indexed again first when a rebalance made the index stale."""
        if self.undecided.stale:
            self.undecided.rebuild(self._states.items())
        return self.undecided.snapshot()

    def sweep(self, partition: int) -> list[Outbound]:
        """Delete the expired states of `partition`; called while handling an event of it."""
        if self.expiry.stale:
            self.expiry.rebuild(self._states.items())
        today = self._today()
        out: list[Outbound] = []
        for key in self.expiry.due(partition, today):
            head = OrderState.decode_head(self._states.get(key))
            if head is None or head.partition != partition or head.expires >= today:
                continue
            del self._states[key]
            self.undecided.discard(key)
            self.expired += 1
            if head.licence is not None:
                out.append(self.address(close_request(head.licence, key.decode(), head.revision)))
        return out

    def route(
        self, order: OrderEvent, record: DecisionRecord, messages: list[Outbound]
    ) -> tuple[list[Outbound], str | None]:
        """Messages for a screened order: a draw request when a licence on file may cover it."""
        snapshot = self._store.current
        plan = plan_draw(order, record, snapshot.licences, snapshot.products)
        if isinstance(plan, DrawRequest):
            if plan.decision is not None and len(plan.decision.model_dump_json()) > MAX_DECISION_BYTES:
                # Thousands of lines make a decision of several MB: fold it as the decision topics do.
                plan = plan.model_copy(update={"decision": fit_decision(plan.decision)})
            return [self.address(plan)], plan.licence_number
        if isinstance(plan, DecisionRecord):
            return decision_messages(self._settings, order, plan), None
        return messages, None
