"""Holds that are closed: released, sent to licensing, or denied, with who closed them and why.

Two sources, merged: the hold queue's files of holds that closed while this console watched (with
the findings and how long the order was held), and the applied reviews of the audit trail, which
survive a restart and are the same on every console. Per order the newest close is listed; an order
open again is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pipeline.holds.apply import applied_route, is_denied
from pipeline.holds.findings import headline
from pipeline.holds.queue import OrderFile
from pipeline.holds.stream_close import RESCREENING, STREAM_ACTIONS, cleared_by_and_why, newly_cited
from schemas.decision import DecisionRecord, Route
from schemas.review import AuditOutcome, AuditRecord, ReviewAction

_CLOSED_AS = {Route.RELEASE: "released", Route.LICENSE: "sent to licensing"}
# Reviews, and the stream's own closes (a re-screen after a clearance, say) the applier audits.
_CLOSING_ACTIONS = frozenset(ReviewAction) | STREAM_ACTIONS


@dataclass(frozen=True, slots=True)
class ClosedHold:
    order_id: str
    decision_id: str
    closed_at: datetime
    closed_as: str
    closed_by: str
    justification: str
    # The most severe finding of the last hold: why it had been held ("" when only audited).
    why_held: str
    # Unknown (None) for a hold known only from the audit trail, which does not say when it began.
    held_since: datetime | None = None


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
    closed_by, justification = review.get("approved_by", "") or RESCREENING, review.get("justification", "")
    if current.review is None and (clearances := newly_cited(last, current)):
        # As the audit trail records it, so every console names the same closer.
        closed_by, justification = cleared_by_and_why(clearances)
    top = headline(last.reasons)
    return ClosedHold(
        order_id=entry.order_id,
        decision_id=current.decision_id,
        held_since=first.evaluated_at,
        closed_at=current.evaluated_at,
        closed_as="denied" if is_denied(current) else _CLOSED_AS.get(current.route, str(current.route)),
        closed_by=closed_by,
        justification=justification,
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


def closed_from_audit(record: AuditRecord) -> ClosedHold | None:
    """The close an applied review or a stream close records, or None when the record closed no
    hold (an escalation, a first of two approvals, a clearance that left other findings holding)."""
    if record.outcome is not AuditOutcome.APPLIED or not record.order_id:
        return None
    if record.action == ReviewAction.DENY:
        closed_as = "denied"
    else:
        route = applied_route(record.detail)
        if route is None or route is Route.HOLD or record.action not in _CLOSING_ACTIONS:
            return None
        closed_as = _CLOSED_AS[route]
    return ClosedHold(
        order_id=record.order_id,
        decision_id=record.decision_id or "",
        closed_at=record.at,
        closed_as=closed_as,
        closed_by=record.actor,
        justification=record.why,
        why_held="",
    )


def closed_holds(
    entries: Iterable[OrderFile], order: str = "", audited: Iterable[ClosedHold] = ()
) -> list[ClosedHold]:
    """Closed holds whose order id contains `order` (case-blind), most recently closed first.

    `entries` are the queue's files (open ones mark orders held again); `audited` the closes the
    audit trail records. What the queue saw wins for its order: it has the findings and hold time.
    """
    folded = order.casefold()
    found: dict[str, ClosedHold] = {}
    open_now: set[str] = set()
    for entry in entries:
        if entry.is_open_hold:
            open_now.add(entry.order_id)
        elif folded in entry.order_id.casefold() and (closed := closed_hold(entry)) is not None:
            found[entry.order_id] = closed
    for closed in audited:
        known = found.get(closed.order_id)
        if closed.order_id in open_now or (known is not None and known.held_since is not None):
            continue
        if folded in closed.order_id.casefold() and (known is None or closed.closed_at > known.closed_at):
            found[closed.order_id] = closed
    return sorted(found.values(), key=lambda c: (c.closed_at, c.order_id), reverse=True)


def closed_order(entry: OrderFile | None, audited: ClosedHold | None) -> ClosedHold | None:
    """How one order's hold closed: from its queue file, else from its latest audited close."""
    if entry is not None and entry.is_open_hold:
        return None
    live = closed_hold(entry) if entry is not None else None
    return live if live is not None else audited


def closed_json(closed: ClosedHold) -> dict[str, str | None]:
    """A closed hold for the JSON API and the CLI: times in ISO 8601, unknown ones null."""
    return {
        "order_id": closed.order_id,
        "decision_id": closed.decision_id,
        "closed_at": closed.closed_at.isoformat(),
        "closed_as": closed.closed_as,
        "closed_by": closed.closed_by,
        "justification": closed.justification,
        "why_held": closed.why_held,
        "held_since": closed.held_since.isoformat() if closed.held_since else None,
    }
