"""What the worker keeps per open order, in one table keyed by order id: `OrderState`.

One entry per open order holds the revision in force, the route this worker decided, the licence
its draw went to, the current decision and the order itself (for re-screening). It is written once
per order event, with the decision already serialized for the topics (never dumped twice).

An order is open until it is closed: a `shipped` or `cancelled` revision, or a reviewer's denial
of its hold. A closed order's entry is deleted at once (a tombstone in the changelog); an open one
is deleted `Settings.state_retention_days` after its ship date (the event date when it has none),
so the table holds open orders only, never history. The encoding is the head's JSON on one line,
then the order's bytes as received and the decision's JSON, so the hot paths read the head without
parsing the rest and nothing is serialized again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

import orjson

from schemas.decision import DecisionRecord


@dataclass(frozen=True, slots=True)
class StateHead:
    """The fields of an entry the hot paths need, parsed without the order or decision JSON."""

    revision: int
    # The orders partition (and so changelog partition) holding the entry; retention sweeps it there.
    partition: int
    expires: date
    # The route this worker last decided (for licence orders: before the draw), for re-screening.
    route: str | None = None
    # The licence the order's draw went to, so a later revision or cancellation can return it.
    licence: str | None = None
    # The current decision's revision and id; None until it is decided (a licence draw on its way).
    decided: int | None = None
    decision_id: str | None = None

    def to_json(self, order_bytes: int) -> bytes:
        # orjson: a fifth of json.dumps's cost; heads written by either read back alike.
        return orjson.dumps(
            [
                order_bytes,
                self.revision,
                self.partition,
                self.expires.isoformat(),
                self.route,
                self.licence,
                self.decided,
                self.decision_id,
            ]
        )

    @classmethod
    def from_json(cls, raw: bytes) -> tuple[StateHead, int]:
        """The head and the length of the order bytes that follow it."""
        order_bytes, revision, partition, expires, route, licence, decided, decision_id = orjson.loads(raw)
        return (
            cls(revision, partition, date.fromisoformat(expires), route, licence, decided, decision_id),
            order_bytes,
        )

    @property
    def awaiting_decision(self) -> bool:
        """The order's decision for its revision is still on its way (a licence draw being applied)."""
        return self.decided is None or self.decided < self.revision


@dataclass(frozen=True, slots=True)
class OrderState:
    head: StateHead
    # The order as it arrived (intake parses it again for a re-screen) and the current decision.
    order_raw: bytes
    decision_json: bytes = b""

    def encode(self) -> bytes:
        return b"%s\n%s%s" % (self.head.to_json(len(self.order_raw)), self.order_raw, self.decision_json)

    @classmethod
    def decode(cls, raw: bytes | None) -> OrderState | None:
        if not raw:
            return None
        end = raw.index(b"\n")
        head, order_bytes = StateHead.from_json(raw[:end])
        order_end = end + 1 + order_bytes
        return cls(head, raw[end + 1 : order_end], raw[order_end:])

    @staticmethod
    def decision_start(raw: bytes) -> int:
        """Where the decision's JSON begins in an encoded entry (the head's first field says)."""
        end = raw.index(b"\n")
        return end + 1 + int(raw[1 : raw.index(b",", 1)])

    @staticmethod
    def decode_head(raw: bytes | None) -> StateHead | None:
        if not raw:
            return None
        return StateHead.from_json(raw[: raw.index(b"\n")])[0]

    def decision(self) -> DecisionRecord | None:
        return DecisionRecord.model_validate_json(self.decision_json) if self.decision_json else None


def expiry_date(ship_date: date | None, event_date: date, retention_days: int) -> date:
    """The last day an open order's state is kept: `retention_days` after it ships (or was sent)."""
    return (ship_date or event_date) + timedelta(days=retention_days)


class Table(Protocol):
    """A table keyed by bytes: a faust table in the worker, a dict offline."""

    def get(self, key: bytes, /) -> bytes | None: ...
    def __setitem__(self, key: bytes, value: bytes, /) -> None: ...
    def __delitem__(self, key: bytes, /) -> None: ...
    def items(self) -> Iterable[tuple[bytes, bytes]]: ...
