"""A hold the stream closes (a worker's re-screen after a clearance or a data change, a new revision)
is audited by the review applier once, with the clearance it rests on, and the closed-holds view
built from the audit trail lists it. Broker-free; the Kafka path is in
tests/stateful/test_stateful_clearances.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.console.auth import hash_password, parse_users
from pipeline.flow.rescreen import ALLOWLIST_RESCREEN
from pipeline.holds.applier import ReviewApplier, allowlist_entries
from pipeline.holds.apply import apply_review
from pipeline.holds.audit_log import AuditLog, AuditQuery
from pipeline.holds.closed import closed_holds
from pipeline.holds.queue import HoldQueue
from pipeline.holds.signing import ReviewSigner
from pipeline.holds.stream_close import CLEARANCE_ACTION, RESCREEN_ACTION, RESCREENING, REVISION_ACTION
from pipeline.holds.trust import ReviewTrust
from schemas.decision import DecisionRecord, Route
from schemas.review import AuditOutcome, AuditRecord, ClearedMatch, CurrentHold, Review, ReviewAction
from schemas.review import allowlist_key as key_of
from tests.holds.samples import licence_hold
from tests.order_flow import ZEPHYR, Flow, chair_line, gallium_order, store_listing_zephyr

NOW = datetime.now(UTC)
UNTIL = NOW + timedelta(days=30)
WHY = "Zephyr Precision Optics GmbH of Jena, HRB 5020, is not the listed Zephyr"
TRUST = ReviewTrust(
    ReviewSigner(b"a review signing key of 32 bytes"), parse_users(f"alice:reviewer:{hash_password('pw')}")
)


def _zephyr(order_id: str, **fields: Any) -> Any:
    fields.setdefault("lines", chair_line())
    return gallium_order(order_id, consignee=ZEPHYR, end_user=ZEPHYR, licence_numbers=[], **fields)


def _current(flow: Flow, order_id: str) -> DecisionRecord:
    found = flow.current.lookup(order_id)
    assert found is not None
    assert found.decision is not None
    return found.decision


@pytest.fixture
def cleared(tmp_path: Path) -> tuple[DecisionRecord, list[DecisionRecord]]:
    """O-HELD's hold, and the follow-ups of re-screening it after alice cleared the Zephyr match on
    O-REVIEWED: the same follow-up twice (a restart re-sent it) and one of a second sweep."""
    flow = Flow(store_listing_zephyr(tmp_path))
    flow.send(_zephyr("O-REVIEWED"))
    flow.send(_zephyr("O-HELD"))
    reviewed, held = _current(flow, "O-REVIEWED"), _current(flow, "O-HELD")
    match = reviewed.party_matches[0]
    made = Review(
        review_id="rv-1",
        order_id="O-REVIEWED",
        decision_id=reviewed.decision_id,
        action=ReviewAction.CLEAR_MATCH,
        reviewer="alice",
        justification=WHY,
        created_at=NOW,
        cleared=ClearedMatch(entry_id=match.entry_id, name_sent=match.name_sent, expires_at=UNTIL),
    )
    follow_up = apply_review(reviewed, made, [])
    assert follow_up is not None
    entry = allowlist_entries(reviewed, made, follow_up)[-1]
    flow.store.offer_clearances([(key_of(entry), entry.model_dump_json().encode())])
    published = len(flow.published)
    flow.deliver(flow.on_rescreen("O-HELD", ALLOWLIST_RESCREEN))
    [released] = flow.published[published:]
    assert (released.route, released.supersedes) == (Route.RELEASE, held.decision_id)
    again = released.model_copy(update={"decision_id": "a second sweep's follow-up"})
    return held, [released, released, again]


def _audits(applier: ReviewApplier, decisions: list[DecisionRecord]) -> list[AuditRecord]:
    return [audit for decision in decisions for audit in applier.on_decision(decision).audits]


def test_a_hold_closed_by_a_clearance_rescreen_is_audited_once_with_the_clearance(
    cleared: tuple[DecisionRecord, list[DecisionRecord]],
) -> None:
    held, follow_ups = cleared
    applier = ReviewApplier(TRUST)
    assert applier.on_decision(held).audits == []
    [audit] = _audits(applier, follow_ups)
    released = follow_ups[0]
    assert (audit.order_id, audit.decision_id, audit.at) == (
        "O-HELD",
        released.decision_id,
        released.evaluated_at,
    )
    assert (audit.action, audit.outcome, audit.actor, audit.review_id, audit.why) == (
        CLEARANCE_ACTION,
        AuditOutcome.APPLIED,
        "alice",
        "rv-1",
        WHY,
    )
    # The party, the list entry, who cleared it, when and until when; the follow-up and its route.
    for part in (
        "follow-up decision routes to release",
        released.decision_id,
        f"consignee/end_user {ZEPHYR['name']}, match on {held.party_matches[0].listed_name}",
        held.party_matches[0].entry_id,
        f"cleared by alice at {NOW.isoformat()}",
        f"until {UNTIL.isoformat()}",
    ):
        assert part in audit.detail


def test_an_applier_restarted_from_holds_current_does_not_audit_the_close_again(
    cleared: tuple[DecisionRecord, list[DecisionRecord]],
) -> None:
    held, follow_ups = cleared
    first = ReviewApplier(TRUST)
    [opened] = first.on_decision(held).holds
    effects = first.on_decision(follow_ups[0])
    assert (effects.closed, len(effects.audits)) == (["O-HELD"], 1)
    # Restarted before the close was committed: the hold is loaded again and the close audited again,
    # with the same audit id, so the trail keeps it once.
    replayed = ReviewApplier(TRUST)
    replayed.load(CurrentHold.model_validate_json(opened.model_dump_json()))
    assert [a.audit_id for a in _audits(replayed, follow_ups)] == [effects.audits[0].audit_id]
    # Restarted after: the tombstone removed the hold, nothing is audited.
    after = ReviewApplier(TRUST)
    after.load(CurrentHold.model_validate_json(opened.model_dump_json()))
    after.close("O-HELD")
    assert _audits(after, follow_ups) == []


def test_the_closed_holds_view_from_the_audit_trail_lists_the_clearance_close_once(
    cleared: tuple[DecisionRecord, list[DecisionRecord]],
) -> None:
    held, follow_ups = cleared
    applier = ReviewApplier(TRUST)
    applier.on_decision(held)
    [audit] = _audits(applier, follow_ups)
    log = AuditLog()
    assert [log.add(audit), log.add(audit)] == [True, False]
    [closed] = log.closings()
    assert (
        closed.order_id,
        closed.decision_id,
        closed.closed_as,
        closed.closed_by,
        closed.justification,
    ) == (
        "O-HELD",
        follow_ups[0].decision_id,
        "released",
        "alice",
        WHY,
    )
    assert closed.closed_at == follow_ups[0].evaluated_at
    assert [r.audit_id for r in log.search(AuditQuery(actor="alice", action=CLEARANCE_ACTION))] == [
        audit.audit_id
    ]


def test_holds_closed_by_a_data_change_rescreen_or_a_new_revision_are_audited_too() -> None:
    applier = ReviewApplier(TRUST)
    first, second = licence_hold("o-1", evaluated_at=NOW), licence_hold("o-2", evaluated_at=NOW)
    applier.on_decision(first)
    applier.on_decision(second)
    rescreened = first.model_copy(
        update={
            "decision_id": "d-rescreened",
            "route": Route.RELEASE,
            "reasons": [],
            "supersedes": first.decision_id,
            "versions": {"rules": "2"},
        }
    )
    revised = second.model_copy(update={"decision_id": "d-revised", "route": Route.LICENSE, "revision": 2})
    audits = _audits(applier, [rescreened, revised])
    assert [(a.order_id, a.action, a.actor, a.decision_id) for a in audits] == [
        ("o-1", RESCREEN_ACTION, RESCREENING, "d-rescreened"),
        ("o-2", REVISION_ACTION, RESCREENING, "d-revised"),
    ]
    assert "routes to release" in audits[0].detail
    assert "changed: rules" in audits[0].detail
    log = AuditLog()
    for audit in audits:
        log.add(audit)
    assert sorted((c.order_id, c.closed_as) for c in log.closings()) == [
        ("o-1", "released"),
        ("o-2", "sent to licensing"),
    ]


def test_a_rescreen_that_keeps_the_order_held_closes_nothing_and_audits_nothing() -> None:
    applier = ReviewApplier(TRUST)
    hold = licence_hold("o-1", evaluated_at=NOW)
    applier.on_decision(hold)
    still = hold.model_copy(update={"decision_id": "d-still", "supersedes": hold.decision_id})
    effects = applier.on_decision(still)
    assert (effects.closed, effects.audits, [h.decision.decision_id for h in effects.holds]) == (
        [],
        [],
        ["d-still"],
    )


def test_a_console_that_saw_the_close_live_names_the_same_closer_as_the_audit_trail(
    cleared: tuple[DecisionRecord, list[DecisionRecord]],
) -> None:
    held, follow_ups = cleared
    queue = HoldQueue()
    queue.add_decision(held)
    queue.add_decision(follow_ups[0])
    [live] = closed_holds(queue.files())
    applier = ReviewApplier(TRUST)
    applier.on_decision(held)
    log = AuditLog()
    for audit in _audits(applier, follow_ups):
        log.add(audit)
    [audited] = log.closings()
    assert (live.closed_by, live.justification, live.closed_as) == ("alice", WHY, "released")
    assert (audited.closed_by, audited.justification, audited.closed_as) == (
        live.closed_by,
        live.justification,
        live.closed_as,
    )
    assert live.held_since == held.evaluated_at
