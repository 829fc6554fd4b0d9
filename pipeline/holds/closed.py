"""Holds that are closed: released, sent to licensing, or denied, with who closed them and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pipeline.holds.apply import is_denied
from pipeline.holds.findings import headline
from pipeline.holds.queue import OrderFile
from schemas.decision import DecisionRecord, Route

_CLOSED_AS = {Route.RELEASE: "released", Route.LICENSE: "sent to licensing"}


@dataclass(frozen=True, slots=True)
class ClosedHold:
    order_id: str
    decision_id: str
    held_since: datetime
    closed_at: datetime
    closed_as: str
    closed_by: str
    justification: str
    # The most severe finding of the last hold: why it had been held.
    why_held: str


def closed_hold(entry: OrderFile) -> ClosedHold | None:
    """The last hold of `entry` and how it closed, or None while it is open or was never held."""
    current = entry.current
    if current is None or entry.is_open_hold:
        return None
    last_hold = _last_hold_run(entry.decisions, denied=is_denied(current))
    if last_hold is None:
        return None
    first, last = last_hold
    review = current.review or {}
    top = headline(last.reasons)
    return ClosedHold(
        order_id=entry.order_id,
        decision_id=current.decision_id,
        held_since=first.evaluated_at,
        closed_at=current.evaluated_at,
        closed_as="denied" if is_denied(current) else _CLOSED_AS.get(current.route, str(current.route)),
        closed_by=review.get("approved_by", "") or "re-screening",
        justification=review.get("justification", ""),
        why_held=top.title if top else "",
    )


def _last_hold_run(
    decisions: list[DecisionRecord], *, denied: bool
) -> tuple[DecisionRecord, DecisionRecord] | None:
    """First and last decision of the latest run of HOLD decisions (a denial is the run's end)."""
    end = len(decisions) - 1 if denied else len(decisions) - 2
    while end >= 0 and decisions[end].route is not Route.HOLD:
        end -= 1
    if end < 0:
        return None
    start = end
    while start > 0 and decisions[start - 1].route is Route.HOLD:
        start -= 1
    # A denial's own decision is HOLD; the hold's reasons are the ones the reviewer saw before it.
    last = decisions[end - 1] if denied and end > start else decisions[end]
    return decisions[start], last


def closed_holds(entries: Iterable[OrderFile], order: str = "") -> list[ClosedHold]:
    """Closed holds whose order id contains `order` (case-blind), most recently closed first."""
    folded = order.casefold()
    found = [
        closed
        for entry in entries
        if folded in entry.order_id.casefold() and (closed := closed_hold(entry)) is not None
    ]
    found.sort(key=lambda c: (c.closed_at, c.order_id), reverse=True)
    return found
