"""The current decision per open order, kept in its state (revision rules: pipeline/decisions/revisions.py).

Decisions the orders agent and the re-screen publish are kept in the state as they are written;
the worker never reads its own decisions back. The others arrive on the follow-ups topic (a copy of
what goes to `screening.decisions`, keyed by order id): the licence agent's final decisions and
reviewers' follow-ups. A reviewer's denial closes the order: its state is removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from pipeline.decisions.revisions import Current, judge_revision
from pipeline.flow.state import OrderState
from pipeline.flow.tracking import OrderTracker
from schemas.decision import DecisionRecord
from schemas.review import ReviewAction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _CurrentHead:
    revision: int
    decision_id: str | None
    withdrawn: bool = False


def denied(record: DecisionRecord) -> bool:
    """A reviewer denied the hold: the block is final and the order closed."""
    return record.review is not None and record.review.get("action") == ReviewAction.DENY


class CurrentDecisions:
    def __init__(self, tracker: OrderTracker) -> None:
        self._tracker = tracker

    def handle(self, raw: bytes) -> None:
        try:
            record = DecisionRecord.model_validate_json(raw)
        except ValueError:
            log.warning("unreadable decision on the follow-ups topic ignored")
            return
        self.accept(record, raw)

    def accept(self, record: DecisionRecord, raw: bytes) -> None:
        """Keep `record` (serialized as `raw`) if it changes what is current for its open order."""
        state = self._tracker.state(record.order_id)
        if state is None:
            return  # closed, expired, or never open here: there is nothing current to keep
        head = state.head
        current = _CurrentHead(head.decided, head.decision_id) if head.decided is not None else None
        if not judge_revision(current, record.revision, record.supersedes).changes_current:
            return
        if denied(record):
            self._tracker.remove(record.order_id.encode(), head)
            self._tracker.closed += 1
            return
        decided = replace(head, decided=record.revision, decision_id=record.decision_id)
        self._tracker.write(record.order_id, OrderState(decided, state.order_raw, raw), state)

    def lookup(self, order_id: str) -> Current | None:
        state = self._tracker.state(order_id)
        if state is None or state.head.decided is None:
            return None
        return Current(state.head.decided, state.decision())
