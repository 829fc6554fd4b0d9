"""The conservation check: every consumed order ends as exactly one current decision or one dead letter.

Pure logic over what was read back from the topics (see `pipeline.kafka.readback`), so the same check
serves the fault-injection tests, the soak and the `screening conservation` command.

An order record at a source offset is accounted for by
- a dead letter naming that offset, else
- a decision naming that offset as its source, else
- a current decision for the same order id at the same or a higher revision: a repeated delivery or a
  stale revision changes nothing, so the worker may rightly publish no decision of its own for it.
A record accounted for by nothing is pending while the workers' group still owes it (`Backlog`: a
worker is in the group, and the record lies past the group's committed offset or its licence draw
request does), else lost. An order id with more than one current decision (two
decisions at its highest revision, neither superseding the other) is duplicated. A current release
is wrongly released when the fault-free baseline held the same order revision, or when, without a
reviewer's say, it carries a prohibited or review finding or failed closed. Over-drawn licences are
counted from the current releases (`pipeline/audit/licences.py`) and joined with `with_overdraws`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pipeline.audit.licences import Overdraw
from schemas.decision import DeadLetter, DecisionRecord, Outcome, Route

# Outcomes that must never end in a release unless a reviewer decided so.
_BLOCKING_OUTCOMES = frozenset({Outcome.PROHIBITED, Outcome.REVIEW})
_EXAMPLES = 10

Baseline = Mapping[tuple[str, int], Route]


@dataclass(frozen=True, slots=True, order=True)
class OffsetRef:
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.partition}@{self.offset}"


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """A record of the orders topic, with its order id and revision when the bytes name them."""

    at: OffsetRef
    order_id: str | None
    revision: int | None

    @classmethod
    def from_bytes(cls, partition: int, offset: int, value: bytes | None) -> ConsumedRecord:
        order_id, revision = _lenient_identity(value)
        return cls(OffsetRef(partition, offset), order_id, revision)


@dataclass(frozen=True, slots=True)
class SeenDecision:
    decision_id: str
    order_id: str
    revision: int
    route: Route
    supersedes: str | None
    source: OffsetRef | None
    # A release that carries a prohibited or review finding, or failed closed, with no reviewer involved.
    unsafe_release: bool

    @classmethod
    def from_record(cls, record: DecisionRecord) -> SeenDecision:
        unsafe = record.route is Route.RELEASE and record.review is None
        unsafe = unsafe and (
            record.fail_closed or any(r.outcome in _BLOCKING_OUTCOMES for r in record.reasons)
        )
        return cls(
            decision_id=record.decision_id,
            order_id=record.order_id,
            revision=record.revision,
            route=record.route,
            supersedes=record.supersedes,
            source=_source_offset(record.source),
            unsafe_release=unsafe,
        )


@dataclass(frozen=True, slots=True)
class SeenDeadLetter:
    source: OffsetRef
    reason: str

    @classmethod
    def from_record(cls, record: DeadLetter) -> SeenDeadLetter:
        return cls(OffsetRef(record.source_partition, record.source_offset), record.reason)


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the workers' consumer group still owes, as the brokers tell it now.

    An order is owed while a worker is in the group (`draining`) and either the group has not
    committed past the order's offset yet (it is in the lag) or a draw request for the order, at
    its revision or a later one, lies past the group's committed offset of the draws topic (queued
    behind licence draws). With no worker in the group nothing is being drained: nothing is owed.
    """

    draining: bool
    # Orders partition -> the group's committed offset (a partition never committed starts at 0).
    committed: Mapping[int, int] = field(default_factory=dict)
    # Order id -> the highest revision with a draw request not yet applied.
    queued_draws: Mapping[str, int] = field(default_factory=dict)
    group_state: str = ""

    def owes(self, record: ConsumedRecord) -> bool:
        if not self.draining:
            return False
        if record.at.offset >= self.committed.get(record.at.partition, 0):
            return True
        if record.order_id is None or record.revision is None:
            return False
        return record.revision <= self.queued_draws.get(record.order_id, -1)


@dataclass(frozen=True, slots=True)
class ConservationReport:
    """Counts for one run. `decided + dead_lettered + pending + lost == consumed` always."""

    consumed: int
    decided: int
    dead_lettered: int
    lost: int
    duplicated: int
    wrongly_released: int
    # Offsets with a dead letter and also a decision of their own: both outcomes reached the user.
    double_accounted: int
    # The same decision id or dead-letter offset published again (at-least-once delivery; harmless).
    republished: int
    # Decisions published after one for a higher revision of the same order: a consumer that takes
    # the latest message per order would act on a superseded revision.
    stale_published: int = 0
    # Records with no outcome yet that the workers' group still owes (in its lag or behind a draw).
    pending: int = 0
    # Licences whose current releases drew more than the licence file allows (any item).
    overdrawn_licences: int = 0
    routes: Mapping[str, int] = field(default_factory=dict)
    dead_letter_reasons: Mapping[str, int] = field(default_factory=dict)
    lost_examples: tuple[str, ...] = ()
    duplicated_examples: tuple[str, ...] = ()
    wrongly_released_examples: tuple[str, ...] = ()
    pending_examples: tuple[str, ...] = ()
    overdrawn_examples: tuple[str, ...] = ()

    @property
    def violated(self) -> bool:
        """Something is lost, duplicated, double-accounted, stale, wrongly released or over-drawn."""
        return (
            self.lost + self.duplicated + self.wrongly_released + self.double_accounted > 0
            or self.stale_published + self.overdrawn_licences > 0
        )

    @property
    def holds(self) -> bool:
        """Proven: no violation and nothing still pending (a pending order has no outcome to check)."""
        return not self.violated and self.pending == 0

    def summary(self) -> str:
        return (
            f"consumed={self.consumed} decided={self.decided} dead_lettered={self.dead_lettered} "
            f"lost={self.lost} duplicated={self.duplicated} wrongly_released={self.wrongly_released} "
            f"double_accounted={self.double_accounted} republished={self.republished} "
            f"stale_published={self.stale_published} pending={self.pending} "
            f"overdrawn_licences={self.overdrawn_licences}"
        )


def check_conservation(
    consumed: Iterable[ConsumedRecord],
    decisions: Iterable[SeenDecision],
    dead_letters: Iterable[SeenDeadLetter],
    baseline: Baseline | None = None,
    backlog: Backlog | None = None,
) -> ConservationReport:
    records = list(consumed)
    published = list(decisions)
    unique_decisions, republished = _unique_decisions(published)
    dead_by_offset: dict[OffsetRef, SeenDeadLetter] = {}
    for seen in dead_letters:
        republished += seen.source in dead_by_offset
        dead_by_offset[seen.source] = seen

    decided_offsets = {d.source for d in unique_decisions if d.source is not None}
    current = current_decisions(unique_decisions)

    decided = dead_lettered = double_accounted = 0
    lost: list[str] = []
    pending: list[str] = []
    reasons: Counter[str] = Counter()
    for record in records:
        letter = dead_by_offset.get(record.at)
        if letter is not None:
            dead_lettered += 1
            reasons[letter.reason] += 1
            double_accounted += record.at in decided_offsets
        elif record.at in decided_offsets or _covered_by_current(record, current):
            decided += 1
        elif backlog is not None and backlog.owes(record):
            pending.append(str(record.at))
        else:
            lost.append(str(record.at))

    run_orders = {r.order_id for r in records if r.order_id is not None}
    stale = _stale_published([d for d in published if d.order_id in run_orders])
    duplicated = sorted(oid for oid in run_orders if len(current.get(oid, ())) > 1)
    wrongly = sorted(
        oid for oid in run_orders if any(_wrongly_released(d, baseline) for d in current.get(oid, ()))
    )
    routes = Counter(str(heads[0].route) for oid, heads in current.items() if oid in run_orders)
    return ConservationReport(
        consumed=len(records),
        decided=decided,
        dead_lettered=dead_lettered,
        lost=len(lost),
        duplicated=len(duplicated),
        wrongly_released=len(wrongly),
        double_accounted=double_accounted,
        republished=republished,
        stale_published=stale,
        pending=len(pending),
        routes=dict(sorted(routes.items())),
        dead_letter_reasons=dict(sorted(reasons.items())),
        lost_examples=tuple(lost[:_EXAMPLES]),
        duplicated_examples=tuple(duplicated[:_EXAMPLES]),
        wrongly_released_examples=tuple(wrongly[:_EXAMPLES]),
        pending_examples=tuple(pending[:_EXAMPLES]),
    )


def with_overdraws(report: ConservationReport, overdraws: Sequence[Overdraw]) -> ConservationReport:
    """`report` with the over-drawn licences counted (one per licence, whatever its items)."""
    return replace(
        report,
        overdrawn_licences=len({overdraw.licence for overdraw in overdraws}),
        overdrawn_examples=tuple(str(overdraw) for overdraw in overdraws[:_EXAMPLES]),
    )


def _unique_decisions(decisions: Iterable[SeenDecision]) -> tuple[list[SeenDecision], int]:
    by_id: dict[str, SeenDecision] = {}
    republished = 0
    for decision in decisions:
        if decision.decision_id in by_id:
            republished += 1
            continue
        by_id[decision.decision_id] = decision
    return list(by_id.values()), republished


def _stale_published(published: list[SeenDecision]) -> int:
    """Decisions that came after one for a higher revision of the same order, in publication order."""
    highest: dict[str, int] = {}
    stale = 0
    for decision in published:
        top = highest.get(decision.order_id, 0)
        stale += decision.revision < top
        highest[decision.order_id] = max(top, decision.revision)
    return stale


def current_decisions(decisions: list[SeenDecision]) -> dict[str, tuple[SeenDecision, ...]]:
    """Per order id, the decisions at its highest revision that no other decision supersedes."""
    by_order: dict[str, list[SeenDecision]] = defaultdict(list)
    for decision in decisions:
        by_order[decision.order_id].append(decision)
    current: dict[str, tuple[SeenDecision, ...]] = {}
    for order_id, seen in by_order.items():
        top = max(d.revision for d in seen)
        superseded = {d.supersedes for d in seen if d.supersedes}
        at_top = [d for d in seen if d.revision == top]
        heads = [d for d in at_top if d.decision_id not in superseded]
        # A supersedes cycle cannot name a head: keep the last published one rather than none.
        current[order_id] = tuple(heads) or (at_top[-1],)
    return current


def _covered_by_current(record: ConsumedRecord, current: Mapping[str, tuple[SeenDecision, ...]]) -> bool:
    if record.order_id is None or record.revision is None:
        return False
    heads = current.get(record.order_id, ())
    return any(d.revision >= record.revision for d in heads)


def _wrongly_released(decision: SeenDecision, baseline: Baseline | None) -> bool:
    if decision.route is not Route.RELEASE:
        return False
    if decision.unsafe_release:
        return True
    if baseline is None:
        return False
    return baseline.get((decision.order_id, decision.revision)) is Route.HOLD


def _source_offset(source: Mapping[str, int | str] | None) -> OffsetRef | None:
    if not source:
        return None
    partition, offset = source.get("partition"), source.get("offset")
    if isinstance(partition, int) and isinstance(offset, int):
        return OffsetRef(partition, offset)
    return None


def _lenient_identity(value: bytes | None) -> tuple[str | None, int | None]:
    """Order id and revision of a record if it is a JSON object naming them; malformed input gives None."""
    if value is None:
        return None, None
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    order_id, revision = parsed.get("order_id"), parsed.get("revision", 1)
    if not isinstance(order_id, str) or not isinstance(revision, int) or isinstance(revision, bool):
        return None, None
    return order_id, revision
