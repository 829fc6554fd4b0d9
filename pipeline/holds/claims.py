"""Who is working which hold: the latest claim per order, as read from `holds.claims`.

Claims are advisory (they route work between analysts, they do not lock a hold), but taking a hold
someone else works needs an explicit take-over, so two analysts do not silently work the same one.
"""

from __future__ import annotations

from datetime import datetime

from schemas.review import HoldClaim


class ClaimRefusedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClaimBook:
    """The current claim of each order. Not thread-safe: fed and read on one asyncio loop."""

    def __init__(self) -> None:
        self._claims: dict[str, HoldClaim] = {}
        self.version = 0

    def add(self, claim: HoldClaim) -> bool:
        """Keep `claim` unless a later one is known; replaying the topic changes nothing."""
        known = self._claims.get(claim.order_id)
        if known is not None and (known == claim or known.at > claim.at):
            return False
        self._claims[claim.order_id] = claim
        self.version += 1
        return True

    def assignee(self, order_id: str) -> str | None:
        claim = self._claims.get(order_id)
        return claim.assignee if claim is not None else None

    def get(self, order_id: str) -> HoldClaim | None:
        return self._claims.get(order_id)


def next_claim(
    book: ClaimBook, order_id: str, actor: str, assignee: str | None, now: datetime, *, take_over: bool
) -> HoldClaim:
    """The claim record for `actor` assigning `order_id` to `assignee` (None: unassign), or the refusal.

    A hold that someone else works is taken over, or unassigned, only with `take_over`.
    """
    current = book.assignee(order_id)
    if current == assignee:
        who = f"claimed by {assignee}" if assignee else "not claimed"
        msg = f"order {order_id} is already {who}"
        raise ClaimRefusedError(msg)
    if current is not None and current != actor and not take_over:
        msg = f"order {order_id} is claimed by {current}; take it over explicitly"
        raise ClaimRefusedError(msg)
    return HoldClaim(order_id=order_id, assignee=assignee, by=actor, at=now)
