"""The drawdown of one licence: a running balance, and one draw record per order, applied idempotently.

Pure logic over small JSON values so the licence agent keeps them in a compacted changelog table
under two kinds of key: one `Balance` per licence (used quantity and value per item) and one
`OrderDraw` per order on the licence. A draw reads and writes those two values only, so its cost
and its records stay the same however many orders the licence has served.

Draws are recorded per order with the revision that made them, so a redelivered request (same order
and revision) changes nothing, an older revision is ignored, a newer one replaces the order's draws
(the balance moves by the difference) and a cancellation returns them. The balance also carries the
last draw it applied (`Balance.last`): written first, it stands in for an order's draw record if a
crash lost that second record, so no draw is ever counted twice or forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
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


@dataclass(frozen=True, slots=True)
class OrderDraw:
    """What one order revision drew on the licence (nothing unless granted)."""

    order_id: str
    revision: int
    status: DrawStatus
    lines: tuple[DrawLine, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()

    def to_json(self) -> list[Any]:
        return [
            self.order_id,
            self.revision,
            self.status.value,
            [[line.line_id, line.item_id, line.quantity, line.value] for line in self.lines],
            [
                [s.line_id, s.item_id, s.wanted_quantity, s.left_quantity, s.wanted_value, s.left_value]
                for s in self.shortfalls
            ],
        ]

    @classmethod
    def from_json(cls, row: Sequence[Any]) -> OrderDraw:
        return cls(
            str(row[0]),
            int(row[1]),
            DrawStatus(row[2]),
            tuple(DrawLine(r[0], r[1], float(r[2]), float(r[3])) for r in row[3]),
            tuple(Shortfall(r[0], r[1], float(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in row[4]),
        )

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes | None) -> OrderDraw | None:
        return cls.from_json(json.loads(raw)) if raw else None


@dataclass(slots=True)
class Balance:
    """Used quantity and value per licence item, and the last order draw applied to them."""

    used: dict[str, list[float]] = field(default_factory=dict)
    last: OrderDraw | None = None

    def left(self, licence: Licence) -> dict[str, tuple[float, float]]:
        """Quantity and value left on each item."""
        left: dict[str, tuple[float, float]] = {}
        for item in licence.items:
            qty, value = self.used.get(item.item_id, [0.0, 0.0])
            left[item.item_id] = (item.quantity - qty, item.value - value)
        return left

    def prior(self, order_id: str, recorded: OrderDraw | None) -> OrderDraw | None:
        """The order's draw in force: its record, or `last` when the record was lost after it."""
        last = self.last
        if last is None or last.order_id != order_id:
            return recorded
        if recorded is None or last.revision > recorded.revision:
            return last
        return recorded

    def encode(self) -> bytes:
        data = {
            "used": self.used,
            "last": self.last.to_json() if self.last is not None else None,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes | None) -> Balance:
        if not raw:
            return cls()
        data = json.loads(raw)
        used = {item: [float(pair[0]), float(pair[1])] for item, pair in data.get("used", {}).items()}
        last = data.get("last")
        return cls(used, OrderDraw.from_json(last) if last else None)


def apply_draw(  # noqa: PLR0917 - the ledger's inputs, named at every call
    balance: Balance,
    prior: OrderDraw | None,
    licence: Licence | None,
    order_id: str,
    revision: int,
    lines: Sequence[DrawLine],
    *,
    cancelled: bool = False,
) -> tuple[DrawOutcome, OrderDraw | None]:
    """Apply one order revision's draw to `balance` (in place); `prior` is the order's draw in force.

    Returns the outcome and the order's new draw record, None when nothing changed (a repeated or
    older revision: the outcome then repeats the recorded one).
    """
    if prior is not None and revision <= prior.revision:
        outcome = DrawOutcome(
            prior.status,
            prior.revision,
            replayed=revision == prior.revision,
            stale=revision < prior.revision,
            shortfalls=prior.shortfalls,
        )
        return outcome, None
    if prior is not None:
        _give_back(balance, prior.lines)
    if cancelled:
        record = OrderDraw(order_id, revision, DrawStatus.CANCELLED)
    elif licence is None:
        record = OrderDraw(order_id, revision, DrawStatus.NOT_ON_FILE)
    else:
        shortfalls = _shortfalls(balance, licence, lines)
        if shortfalls:
            record = OrderDraw(order_id, revision, DrawStatus.EXHAUSTED, shortfalls=shortfalls)
        else:
            for line in lines:
                used = balance.used.setdefault(line.item_id, [0.0, 0.0])
                used[0] += line.quantity
                used[1] += line.value
            record = OrderDraw(order_id, revision, DrawStatus.GRANTED, tuple(lines))
    balance.last = record
    return DrawOutcome(record.status, revision, shortfalls=record.shortfalls), record


def _give_back(balance: Balance, lines: Iterable[DrawLine]) -> None:
    for line in lines:
        used = balance.used.setdefault(line.item_id, [0.0, 0.0])
        used[0] = max(0.0, used[0] - line.quantity)
        used[1] = max(0.0, used[1] - line.value)


def _shortfalls(balance: Balance, licence: Licence, lines: Sequence[DrawLine]) -> tuple[Shortfall, ...]:
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
        qty_used, value_used = balance.used.get(line.item_id, [0.0, 0.0])
        qty_left = item.quantity - qty_used
        value_left = item.value - value_used
        if want[0] > qty_left + _TOLERANCE or want[1] > value_left + _TOLERANCE:
            found.append(
                Shortfall(line.line_id, line.item_id, line.quantity, qty_left, line.value, value_left)
            )
    return tuple(found)


@dataclass(slots=True)
class LicenceLedger:
    """One licence's balance and order draws in memory: the ledger logic without its storage."""

    balance_state: Balance = field(default_factory=Balance)
    orders: dict[str, OrderDraw] = field(default_factory=dict)

    def balance(self, licence: Licence) -> dict[str, tuple[float, float]]:
        return self.balance_state.left(licence)

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
        prior = self.balance_state.prior(order_id, self.orders.get(order_id))
        outcome, record = apply_draw(
            self.balance_state, prior, licence, order_id, revision, lines, cancelled=cancelled
        )
        if record is not None:
            self.orders[order_id] = record
        return outcome
