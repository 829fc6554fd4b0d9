"""The drawdown ledger of one licence: what each order line has drawn, applied idempotently.

Pure logic over a JSON-friendly state so the licence agent can keep one state per licence number in
a changelog-backed table. Draws are recorded per order with the revision that made them, so a
redelivered request (same order and revision) changes nothing, an older revision is ignored, a newer
one replaces the order's draws (the balance moves by the difference) and a cancellation returns them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from schemas.licence import Licence

# Quantities and values are floats from JSON; forgive rounding noise when comparing to a ceiling.
_TOLERANCE = 1e-9


class DrawStatus(StrEnum):
    GRANTED = "granted"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"
    NOT_ON_FILE = "not_on_file"


@dataclass(frozen=True, slots=True)
class DrawLine:
    """One order line to draw against one item of the licence."""

    line_id: str
    item_id: str
    quantity: float
    value: float


@dataclass(frozen=True, slots=True)
class Shortfall:
    line_id: str
    item_id: str
    wanted_quantity: float
    left_quantity: float
    wanted_value: float
    left_value: float


@dataclass(frozen=True, slots=True)
class DrawOutcome:
    status: DrawStatus
    revision: int
    # True when this request was already applied (redelivery) or is older than the applied one.
    replayed: bool = False
    stale: bool = False
    shortfalls: tuple[Shortfall, ...] = ()


@dataclass(slots=True)
class _OrderDraws:
    revision: int
    status: DrawStatus
    lines: dict[str, DrawLine] = field(default_factory=dict)
    shortfalls: tuple[Shortfall, ...] = ()


@dataclass(slots=True)
class LicenceLedger:
    """Used quantity and value per licence item, and the draws of every order on the licence."""

    used: dict[str, list[float]] = field(default_factory=dict)
    orders: dict[str, _OrderDraws] = field(default_factory=dict)

    def balance(self, licence: Licence) -> dict[str, tuple[float, float]]:
        """Quantity and value left on each item."""
        left: dict[str, tuple[float, float]] = {}
        for item in licence.items:
            qty, value = self.used.get(item.item_id, [0.0, 0.0])
            left[item.item_id] = (item.quantity - qty, item.value - value)
        return left

    def apply(
        self,
        licence: Licence | None,
        order_id: str,
        revision: int,
        lines: Sequence[DrawLine],
        *,
        cancelled: bool = False,
    ) -> DrawOutcome:
        """Apply one order revision's draw; repeated or older revisions return the recorded outcome."""
        prior = self.orders.get(order_id)
        if prior is not None and revision <= prior.revision:
            return DrawOutcome(
                prior.status,
                prior.revision,
                replayed=revision == prior.revision,
                stale=revision < prior.revision,
                shortfalls=prior.shortfalls,
            )
        if prior is not None:
            self._return(prior.lines.values())
        if cancelled:
            self.orders[order_id] = _OrderDraws(revision, DrawStatus.CANCELLED)
            return DrawOutcome(DrawStatus.CANCELLED, revision)
        if licence is None:
            self.orders[order_id] = _OrderDraws(revision, DrawStatus.NOT_ON_FILE)
            return DrawOutcome(DrawStatus.NOT_ON_FILE, revision)
        shortfalls = self._shortfalls(licence, lines)
        if shortfalls:
            self.orders[order_id] = _OrderDraws(revision, DrawStatus.EXHAUSTED, shortfalls=shortfalls)
            return DrawOutcome(DrawStatus.EXHAUSTED, revision, shortfalls=shortfalls)
        for line in lines:
            used = self.used.setdefault(line.item_id, [0.0, 0.0])
            used[0] += line.quantity
            used[1] += line.value
        self.orders[order_id] = _OrderDraws(
            revision, DrawStatus.GRANTED, {line.line_id: line for line in lines}
        )
        return DrawOutcome(DrawStatus.GRANTED, revision)

    def _return(self, lines: Iterable[DrawLine]) -> None:
        for line in lines:
            used = self.used.setdefault(line.item_id, [0.0, 0.0])
            used[0] = max(0.0, used[0] - line.quantity)
            used[1] = max(0.0, used[1] - line.value)

    def _shortfalls(self, licence: Licence, lines: Sequence[DrawLine]) -> tuple[Shortfall, ...]:
        wanted: dict[str, list[float]] = {}
        found: list[Shortfall] = []
        for line in lines:
            item = licence.item(line.item_id)
            want = wanted.setdefault(line.item_id, [0.0, 0.0])
            want[0] += line.quantity
            want[1] += line.value
            if item is None:
                found.append(Shortfall(line.line_id, line.item_id, line.quantity, 0.0, line.value, 0.0))
                continue
            qty_used, value_used = self.used.get(line.item_id, [0.0, 0.0])
            qty_left = item.quantity - qty_used
            value_left = item.value - value_used
            if want[0] > qty_left + _TOLERANCE or want[1] > value_left + _TOLERANCE:
                found.append(
                    Shortfall(line.line_id, line.item_id, line.quantity, qty_left, line.value, value_left)
                )
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        return {
            "used": {item: list(pair) for item, pair in self.used.items()},
            "orders": {
                order_id: {
                    "revision": draws.revision,
                    "status": draws.status.value,
                    "lines": [
                        [line.line_id, line.item_id, line.quantity, line.value]
                        for line in draws.lines.values()
                    ],
                    "shortfalls": [
                        [
                            s.line_id,
                            s.item_id,
                            s.wanted_quantity,
                            s.left_quantity,
                            s.wanted_value,
                            s.left_value,
                        ]
                        for s in draws.shortfalls
                    ],
                }
                for order_id, draws in self.orders.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> LicenceLedger:
        if not data:
            return cls()
        orders = {
            order_id: _OrderDraws(
                revision=int(raw["revision"]),
                status=DrawStatus(raw["status"]),
                lines={
                    row[0]: DrawLine(row[0], row[1], float(row[2]), float(row[3])) for row in raw["lines"]
                },
                shortfalls=tuple(
                    Shortfall(row[0], row[1], float(row[2]), float(row[3]), float(row[4]), float(row[5]))
                    for row in raw.get("shortfalls", [])
                ),
            )
            for order_id, raw in data.get("orders", {}).items()
        }
        used = {item: [float(pair[0]), float(pair[1])] for item, pair in data.get("used", {}).items()}
        return cls(used=used, orders=orders)
