"""The most recent order events, raw and bounded in bytes, so the review applier can attach an order
to the hold its decision opens without parsing every order that passes."""

from __future__ import annotations

from collections import OrderedDict

from pydantic import ValidationError

from schemas.order import OrderEvent

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
# Larger orders are not attached to their hold, which must fit one record of `holds.current`.
MAX_ORDER_BYTES = 512 * 1024


class RecentOrders:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._budget = budget_bytes
        self._size = 0
        self._raw: OrderedDict[str, bytes] = OrderedDict()

    def add(self, order_id: str, raw: bytes) -> None:
        """Keep `raw` as the order's latest event (later events are amendments), oldest dropped first."""
        previous = self._raw.pop(order_id, None)
        if previous is not None:
            self._size -= len(previous)
        if len(raw) > min(self._budget, MAX_ORDER_BYTES):
            return
        self._raw[order_id] = raw
        self._size += len(raw)
        while self._size > self._budget:
            _, dropped = self._raw.popitem(last=False)
            self._size -= len(dropped)

    def get(self, order_id: str) -> OrderEvent | None:
        raw = self._raw.get(order_id)
        if raw is None:
            return None
        try:
            return OrderEvent.model_validate_json(raw)
        except ValidationError:
            return None  # intake dead-letters it; a hold never follows
