"""What the worker remembers per order: the revision in force, and the order itself while it is open.

Held, licence-pending and released orders stay open until a `shipped` or `cancelled` revision
arrives; re-screening works from here. The state lives in a table keyed by order id, co-partitioned
with `orders`, so the orders agent reads and writes it in the partition that owns the order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.decisions.revisions import Current, withdraw
from pipeline.licences.requests import DrawRequest, plan_draw
from pipeline.reference.store import ReferenceStore
from pipeline.settings import Settings
from pipeline.worker.outputs import MAX_DECISION_BYTES, Outbound, decision_messages, fit_decision
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent, OrderStatus

Address = Callable[[DrawRequest], Outbound]


@dataclass(frozen=True, slots=True)
class OrderState:
    revision: int
    status: OrderStatus
    # The route this worker last decided (for licence orders: before the draw), for re-screening.
    route: str | None = None
    # The licence the order's draw went to, so a later revision or cancellation can return it.
    licence: str | None = None
    order: dict[str, Any] | None = None

    @property
    def open(self) -> bool:
        return self.status is OrderStatus.ACTIVE and self.order is not None

    def encode(self) -> bytes:
        return self._encode(json.dumps(self.order).encode())

    def _encode(self, order_json: bytes) -> bytes:
        head = {
            "revision": self.revision,
            "status": self.status.value,
            "route": self.route,
            "licence": self.licence,
        }
        return json.dumps(head).encode()[:-1] + b', "order": ' + order_json + b"}"

    @classmethod
    def encode_open(cls, order: OrderEvent, route: str, licence: str | None) -> bytes:
        """The entry of a screened, open order; its JSON comes from pydantic's serializer in one pass."""
        return cls(order.revision, order.status, route, licence)._encode(order.model_dump_json().encode())

    @classmethod
    def decode(cls, raw: bytes | None) -> OrderState | None:
        if not raw:
            return None
        data = json.loads(raw)
        return cls(
            int(data["revision"]), OrderStatus(data["status"]), data["route"], data["licence"], data["order"]
        )


def cancel_request(licence: str, order_id: str, revision: int) -> DrawRequest:
    return DrawRequest(licence_number=licence, order_id=order_id, revision=revision, cancelled=True)


class OrderTracker:
    """The orders agent's last step: drop stale revisions, route licence orders to their draw."""

    def __init__(
        self, settings: Settings, store: ReferenceStore, states: Any, current: Any, address: Address
    ) -> None:
        self._settings = settings
        self._store = store
        self._states = states
        self._current = current
        self.address = address
        self.dropped = 0

    def state(self, order_id: str) -> OrderState | None:
        return OrderState.decode(self._states.get(order_id.encode()))

    def current(self, order_id: str) -> Current | None:
        raw = self._current.get(order_id.encode())
        return Current.from_json(json.loads(raw)) if raw else None

    def finish(self, order: OrderEvent, record: DecisionRecord, messages: list[Outbound]) -> list[Outbound]:
        key = order.order_id.encode()
        prior = self.state(order.order_id)
        if prior is not None and order.revision < prior.revision:
            # An older revision changes nothing: a newer one's decision is already out.
            self.dropped += 1
            return []
        if prior is not None and order.revision == prior.revision:
            # A repeat (redelivered after a crash, or sent twice). The state may have been saved while
            # the decision never left (kill -9 in between), so publish it again: same decision id.
            if order.status is not OrderStatus.ACTIVE or prior.status is not OrderStatus.ACTIVE:
                return []
            return self.route(order, record, messages)[0]
        returned = (
            [self.address(cancel_request(prior.licence, order.order_id, order.revision))]
            if (prior is not None and prior.licence)
            else []
        )
        if order.status is OrderStatus.CANCELLED:
            self._states[key] = OrderState(order.revision, order.status).encode()
            _, withdrawn = withdraw(self.current(order.order_id), order.revision)
            if withdrawn is not None:
                self._current[key] = json.dumps(withdrawn.to_json()).encode()
            return returned
        if order.status is OrderStatus.SHIPPED and prior is not None:
            # Shipping closes the order; its draw stays drawn and its decision stays current.
            self._states[key] = OrderState(order.revision, order.status, prior.route, prior.licence).encode()
            return []
        out, licence = self.route(order, record, messages)
        if prior is not None and prior.licence and prior.licence != licence:
            out = returned + out
        self._states[key] = OrderState.encode_open(order, record.route.value, licence)
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
