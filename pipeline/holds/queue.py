"""The hold queue: an in-memory projection of the open holds.

The console and `screening holds` load it from the compacted `holds.current` (`put_hold`,
`close_hold`), so loading costs what is open now, not the decision history; tests and the review
applier's memory harness may also feed it decisions, reviews and orders one by one.

The current decision of an order is the one with the highest revision, latest evaluation time. An
order is an open hold while its current decision routes to HOLD and was not denied. Feeding is
idempotent (decisions and reviews are keyed by their ids), so replaying a topic changes nothing.

Only orders that have been on hold are kept: most orders are released at once and never need a
page, so their decisions are dropped and their order events wait in a bounded buffer in case a
hold for them follows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from pipeline.holds.ages import format_age
from pipeline.holds.apply import has_prohibited_finding, is_denied
from pipeline.holds.findings import headline, screening_findings
from schemas.decision import DecisionRecord, Route
from schemas.order import OrderEvent
from schemas.review import CurrentHold, Review, ReviewAction


class SortOrder(StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class HoldFilter:
    """Every field narrows the queue; empty fields match everything. Text matches are case-blind."""

    order: str = ""
    rule: str = ""
    reason: str = ""
    destination: str = ""
    party: str = ""
    min_age_hours: float | None = None
    max_age_hours: float | None = None
    sort: SortOrder = SortOrder.OLDEST


@dataclass(frozen=True, slots=True)
class HoldSummary:
    """One row of the queue."""

    order_id: str
    decision_id: str
    revision: int
    held_since: datetime
    age_seconds: float
    age: str
    rules: tuple[str, ...]
    outcomes: tuple[str, ...]
    # The most severe finding's title and outcome: the "why" of the hold.
    headline: str
    headline_outcome: str
    destination: str
    parties: tuple[str, ...]
    escalated: bool
    four_eyes: bool
    approvals: tuple[str, ...]


@dataclass(slots=True)
class OrderFile:
    """Everything known about one order, oldest first."""

    order_id: str
    decisions: list[DecisionRecord] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    order: OrderEvent | None = None
    # From `holds.current`: when the order went on hold, earlier than any decision kept here.
    held_since_at: datetime | None = None
    # The hold closed (tombstoned on `holds.current`) while the console watched: kept to show how.
    closed: bool = False

    @property
    def current(self) -> DecisionRecord | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def is_open_hold(self) -> bool:
        current = self.current
        return (
            not self.closed and current is not None and current.route is Route.HOLD and not is_denied(current)
        )

    def held_since(self) -> datetime | None:
        """When the order last went on hold: the first of the trailing run of HOLD decisions."""
        since: datetime | None = None
        for decision in reversed(self.decisions):
            if decision.route is not Route.HOLD:
                break
            since = decision.evaluated_at
        if self.held_since_at is not None and (since is None or self.held_since_at < since):
            return self.held_since_at
        return since

    def approvals(self) -> tuple[str, ...]:
        """Reviewers who already asked to release the current decision."""
        current = self.current
        if current is None:
            return ()
        names = [
            r.reviewer
            for r in self.reviews
            if r.decision_id == current.decision_id and r.action is ReviewAction.RELEASE
        ]
        return tuple(dict.fromkeys(names))

    def destination(self) -> str:
        if self.order is not None:
            return self.order.destination_country
        current = self.current
        if current is None:
            return ""
        for reason in current.reasons:
            if country := reason.evidence.get("destination_country", ""):
                return country
        return ""

    def party_names(self) -> tuple[str, ...]:
        names: list[str] = []
        if self.order is not None:
            names.extend(party.name for _, party in self.order.parties())
        current = self.current
        if current is not None:
            for match in current.party_matches:
                names.extend((match.name_sent, match.listed_name))
        return tuple(dict.fromkeys(names))


def _sort_key(decision: DecisionRecord) -> tuple[int, datetime]:
    return (decision.revision, decision.evaluated_at)


DEFAULT_ORDER_BUFFER = 50_000


class HoldQueue:
    """Not thread-safe: the console and the applier feed it from one asyncio loop."""

    def __init__(self, order_buffer: int = DEFAULT_ORDER_BUFFER) -> None:
        self._files: dict[str, OrderFile] = {}
        self._unheld_orders: OrderedDict[str, OrderEvent] = OrderedDict()
        self._order_buffer = order_buffer
        self._decision_ids: set[str] = set()
        self._review_ids: set[str] = set()
        self.version = 0
        # Open holds summarised as of `version`; a poll between changes only recomputes their ages.
        self._summaries: tuple[int, list[HoldSummary]] = (-1, [])

    def _file(self, order_id: str) -> OrderFile:
        found = self._files.get(order_id)
        if found is None:
            found = self._files[order_id] = OrderFile(order_id, order=self._unheld_orders.pop(order_id, None))
        return found

    def add_decision(self, decision: DecisionRecord) -> bool:
        """Record a decision; False when it was already known or concerns an order never held."""
        if decision.decision_id in self._decision_ids:
            return False
        if decision.order_id not in self._files and decision.route is not Route.HOLD:
            return False
        self._decision_ids.add(decision.decision_id)
        decisions = self._file(decision.order_id).decisions
        decisions.append(decision)
        # Stable sort keeps arrival order between decisions of the same revision and instant.
        decisions.sort(key=_sort_key)
        self.version += 1
        return True

    def add_review(self, review: Review) -> bool:
        """Record a review; False when it was already known."""
        if review.review_id in self._review_ids:
            return False
        self._review_ids.add(review.review_id)
        self._file(review.order_id).reviews.append(review)
        self.version += 1
        return True

    def put_hold(self, hold: CurrentHold) -> None:
        """An open hold as `holds.current` has it now: its current decision and accepted reviews."""
        known = self._files.get(hold.order_id)
        reviews = list(hold.reviews)
        if known is not None:
            # Reviews this console sent that the applier has not recorded yet stay visible.
            recorded = {r.review_id for r in reviews}
            reviews.extend(
                r
                for r in known.reviews
                if r.decision_id == hold.decision.decision_id and r.review_id not in recorded
            )
        self._files[hold.order_id] = OrderFile(
            hold.order_id,
            decisions=[hold.decision],
            reviews=reviews,
            order=hold.order
            or (known.order if known is not None else self._unheld_orders.pop(hold.order_id, None)),
            held_since_at=hold.held_since,
        )
        self._decision_ids.add(hold.decision.decision_id)
        self._review_ids.update(r.review_id for r in reviews)
        self.version += 1

    def close_hold(self, order_id: str, *, keep: bool = False) -> None:
        """The hold closed (a tombstone on `holds.current`): the order leaves the queue. `keep` keeps
        its file, marked closed, for a page that shows the order (and the decision that closed it)."""
        if keep and (found := self._files.get(order_id)) is not None:
            found.closed = True
        elif self._files.pop(order_id, None) is None:
            return
        self.version += 1

    def add_order(self, order: OrderEvent) -> None:
        entry = self._files.get(order.order_id)
        if entry is None:
            buffered = self._unheld_orders.get(order.order_id)
            if buffered is None or order.revision >= buffered.revision:
                self._unheld_orders[order.order_id] = order
            self._unheld_orders.move_to_end(order.order_id)
            while len(self._unheld_orders) > self._order_buffer:
                self._unheld_orders.popitem(last=False)
        elif entry.order is None or order.revision >= entry.order.revision:
            entry.order = order
            self.version += 1

    def has_decision(self, decision_id: str) -> bool:
        return decision_id in self._decision_ids

    def get(self, order_id: str) -> OrderFile | None:
        found = self._files.get(order_id)
        return found if found is not None and found.decisions else None

    def files(self) -> Iterator[OrderFile]:
        """Every order that has been on hold, open or closed."""
        return (entry for entry in self._files.values() if entry.decisions)

    def open_holds(self, now: datetime, wanted: HoldFilter | None = None) -> list[HoldSummary]:
        wanted = wanted or HoldFilter()
        version, summaries = self._summaries
        if version != self.version:
            summaries = [_summary(entry, now) for entry in self._files.values() if entry.is_open_hold]
            self._summaries = (self.version, summaries)
        rows = [_aged(row, now) for row in summaries]
        selected = [row for row in rows if _matches(row, wanted)]
        selected.sort(key=lambda row: (row.held_since, row.order_id), reverse=wanted.sort is SortOrder.NEWEST)
        return selected


def _summary(entry: OrderFile, now: datetime) -> HoldSummary:
    current = entry.current
    assert current is not None  # open holds always have a decision
    since = entry.held_since() or current.evaluated_at
    age_seconds = (now - since).total_seconds()
    findings = screening_findings(current.reasons)
    top = headline(findings)
    return HoldSummary(
        order_id=entry.order_id,
        decision_id=current.decision_id,
        revision=current.revision,
        held_since=since,
        age_seconds=age_seconds,
        age=format_age(age_seconds),
        rules=tuple(dict.fromkeys(r.rule_id for r in findings)),
        outcomes=tuple(dict.fromkeys(str(r.outcome) for r in findings)),
        headline=top.title if top else "",
        headline_outcome=str(top.outcome) if top else "",
        destination=entry.destination(),
        parties=entry.party_names(),
        escalated=current.review is not None and current.review.get("action") == ReviewAction.ESCALATE,
        four_eyes=has_prohibited_finding(current.reasons),
        approvals=entry.approvals(),
    )


def _aged(row: HoldSummary, now: datetime) -> HoldSummary:
    age_seconds = (now - row.held_since).total_seconds()
    if age_seconds == row.age_seconds:
        return row
    return replace(row, age_seconds=age_seconds, age=format_age(age_seconds))


def _contains(needle: str, haystack: Iterable[str]) -> bool:
    folded = needle.casefold()
    return any(folded in item.casefold() for item in haystack)


def _matches(row: HoldSummary, wanted: HoldFilter) -> bool:
    hours = row.age_seconds / 3600
    return (
        (not wanted.order or wanted.order.casefold() in row.order_id.casefold())
        and (not wanted.rule or _contains(wanted.rule, row.rules))
        and (not wanted.reason or _contains(wanted.reason, (*row.outcomes, row.headline)))
        and (not wanted.destination or wanted.destination.casefold() == row.destination.casefold())
        and (not wanted.party or _contains(wanted.party, row.parties))
        and (wanted.min_age_hours is None or hours >= wanted.min_age_hours)
        and (wanted.max_age_hours is None or hours <= wanted.max_age_hours)
    )
