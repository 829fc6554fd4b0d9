"""Clearances in the stream, broker-free: a reviewer's clearance reaches the worker's reference store,
re-screens only the held orders it concerns, once, and applies to the next order; expiry, revocation
and malformed records (the Kafka path: tests/stateful/test_stateful_clearances.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.decisions.record import CLEARED_RULE
from pipeline.enrichment.parties import screener as screener_module
from pipeline.enrichment.parties.clearances import ClearanceChange
from pipeline.flow.rescreen import ALLOWLIST_RESCREEN
from pipeline.holds.applier import allowlist_entries
from pipeline.holds.apply import apply_review
from schemas.decision import DecisionRecord, Route
from schemas.review import AllowlistEntry, ClearedMatch, Review, ReviewAction, allowlist_key
from tests.order_flow import SIEMENS, ZEPHYR, Flow, chair_line, gallium_order, store_listing_zephyr

NOW = datetime.now(UTC)
WHY = "Zephyr Precision Optics GmbH of Jena, HRB 5020, is not the listed Zephyr"


def _zephyr(order_id: str, **fields: Any) -> Any:
    fields.setdefault("lines", chair_line())
    return gallium_order(order_id, consignee=ZEPHYR, end_user=ZEPHYR, licence_numbers=[], **fields)


def _unclassified_line() -> list[dict[str, Any]]:
    line = chair_line()[0]
    return [{**line, "sku": "NO-SUCH-SKU", "description": "assorted parts"}]


def _current(flow: Flow, order_id: str) -> DecisionRecord:
    found = flow.current.lookup(order_id)
    assert found is not None
    assert found.decision is not None
    return found.decision


def _clear_match(held: DecisionRecord, expires_at: datetime) -> AllowlistEntry:
    """The allowlist record the review applier writes when a reviewer clears the Zephyr match."""
    match = next(m for m in held.party_matches if m.listed_name == ZEPHYR["name"])
    cleared = ClearedMatch(entry_id=match.entry_id, name_sent=match.name_sent, expires_at=expires_at)
    review = Review(
        review_id="rv-1",
        order_id=held.order_id,
        decision_id=held.decision_id,
        action=ReviewAction.CLEAR_MATCH,
        reviewer="alice",
        justification=WHY,
        created_at=NOW,
        cleared=cleared,
    )
    follow_up = apply_review(held, review, [])
    assert follow_up is not None
    # Consignee and end user are both Zephyr: two records, one key, one (party, entry) clearance.
    entries = allowlist_entries(held, review, follow_up)
    assert [(e.party_role, allowlist_key(e)) for e in entries] == [
        ("consignee", allowlist_key(entries[0])),
        ("end_user", allowlist_key(entries[0])),
    ]
    return entries[-1]


def _record(entry: AllowlistEntry) -> tuple[str, bytes]:
    return allowlist_key(entry), entry.model_dump_json().encode()


def _rescreen(flow: Flow, changes: list[ClearanceChange]) -> list[str]:
    """What the worker does when the clearances in force changed: sweep the held orders, re-screen."""
    assert changes
    keys = flow.rescreener.held_on_clearances(flow.store.clearances.current, datetime.now(UTC))
    for key in keys:
        flow.deliver(flow.on_rescreen(key.decode(), ALLOWLIST_RESCREEN))
    return sorted(key.decode() for key in keys)


def _cited(decision: DecisionRecord) -> list[dict[str, str]]:
    return [r.evidence for r in decision.reasons if r.rule_id == CLEARED_RULE]


@pytest.fixture
def flow(tmp_path: Path) -> Flow:
    flow = Flow(store_listing_zephyr(tmp_path))
    flow.send(_zephyr("O-REVIEWED"))
    flow.send(_zephyr("O-ONLY-MATCH"))
    flow.send(_zephyr("O-TWO-REASONS", lines=_unclassified_line()))
    flow.send(gallium_order("O-OTHER-HOLD", lines=_unclassified_line(), licence_numbers=[]))
    flow.send(gallium_order("O-RELEASED", consignee=SIEMENS, lines=chair_line(), licence_numbers=[]))
    held = ("O-REVIEWED", "O-ONLY-MATCH", "O-TWO-REASONS", "O-OTHER-HOLD")
    assert [_current(flow, o).route for o in held] == [Route.HOLD] * 4
    return flow


def test_the_applier_record_names_the_party_and_the_entry_as_matched(flow: Flow) -> None:
    held = _current(flow, "O-REVIEWED")
    entry = _clear_match(held, NOW + timedelta(days=30))
    match = held.party_matches[0]
    assert (entry.party_key, entry.entry_hash) == (match.party_key, match.entry_hash)
    assert entry.party_key == f"name:zephyr precision optics gmbh|{ZEPHYR['country']}"
    assert (entry.cleared_by, entry.reason, entry.review_id) == ("alice", WHY, "rv-1")


def test_a_clearance_releases_only_the_orders_held_on_that_match_and_the_next_order(flow: Flow) -> None:
    before = {o: _current(flow, o) for o in ("O-ONLY-MATCH", "O-TWO-REASONS", "O-OTHER-HOLD", "O-RELEASED")}
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(days=30))
    changes, refused = flow.store.offer_clearances([_record(entry)])
    assert refused == []
    # The reviewed order gets the applier's follow-up; the others on this match are re-screened.
    assert _rescreen(flow, changes) == ["O-ONLY-MATCH", "O-TWO-REASONS"]

    released = _current(flow, "O-ONLY-MATCH")
    assert released.route is Route.RELEASE
    assert released.supersedes == before["O-ONLY-MATCH"].decision_id
    assert released.party_matches == []
    # One reason per cleared match (consignee and end user), each citing id, who, when, why, until.
    assert [
        (c["name_sent"], c["clearance_id"], c["cleared_by"], c["why"], c["cleared_at"], c["until"])
        for c in _cited(released)
    ] == [(ZEPHYR["name"], "rv-1", "alice", WHY, NOW.isoformat(), entry.expires_at.isoformat())] * 2
    assert [r.party_role for r in released.reasons if r.rule_id == CLEARED_RULE] == ["consignee", "end_user"]

    still_held = _current(flow, "O-TWO-REASONS")
    assert still_held.route is Route.HOLD
    assert still_held.supersedes == before["O-TWO-REASONS"].decision_id
    assert [c["clearance_id"] for c in _cited(still_held)] == ["rv-1", "rv-1"]
    assert not any(m.listed_name == ZEPHYR["name"] for m in still_held.party_matches)

    for untouched in ("O-OTHER-HOLD", "O-RELEASED"):
        assert _current(flow, untouched) == before[untouched]

    flow.send(_zephyr("O-NEXT"))
    following = _current(flow, "O-NEXT")
    assert following.route is Route.RELEASE
    assert [c["clearance_id"] for c in _cited(following)] == ["rv-1", "rv-1"]
    assert following.versions["allowlist"] == flow.store.clearances.current.version


def test_revocation_by_tombstone_holds_the_orders_it_released_and_the_next_order(flow: Flow) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(days=30))
    changes, _ = flow.store.offer_clearances([_record(entry)])
    _rescreen(flow, changes)
    flow.send(_zephyr("O-NEXT"))
    assert [_current(flow, o).route for o in ("O-NEXT", "O-ONLY-MATCH")] == [Route.RELEASE] * 2

    changes, refused = flow.store.offer_clearances([(allowlist_key(entry), None)])
    assert (refused, [(c.before is not None, c.after) for c in changes]) == ([], [(True, None)])
    # A revocation is new information, like a list update: the open orders whose decision cites the
    # revoked clearance go back on hold; the reviewers' own release of the order they cleared stands.
    reviewed = _current(flow, "O-REVIEWED")
    assert _rescreen(flow, changes) == ["O-NEXT", "O-ONLY-MATCH", "O-TWO-REASONS"]
    for order_id in ("O-NEXT", "O-ONLY-MATCH", "O-TWO-REASONS"):
        decision = _current(flow, order_id)
        assert (order_id, decision.route, _cited(decision)) == (order_id, Route.HOLD, [])
        assert any(m.listed_name == ZEPHYR["name"] for m in decision.party_matches)
    assert _current(flow, "O-REVIEWED") == reviewed
    # Once re-held, a second sweep finds nothing left to do.
    assert _rescreen(flow, changes) == []
    flow.send(_zephyr("O-AFTER-REVOCATION"))
    assert _current(flow, "O-AFTER-REVOCATION").route is Route.HOLD


def test_a_later_record_for_the_same_key_replaces_the_clearance(flow: Flow) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(days=30))
    changes, _ = flow.store.offer_clearances([_record(entry)])
    _rescreen(flow, changes)
    assert _current(flow, "O-ONLY-MATCH").route is Route.RELEASE
    shortened = entry.model_copy(update={"expires_at": NOW - timedelta(minutes=1), "review_id": "rv-revoke"})
    changes, refused = flow.store.offer_clearances([_record(shortened)])
    assert refused == []
    # Replaced by a record already lapsed: the orders the old one released are held again.
    assert _rescreen(flow, changes) == ["O-ONLY-MATCH", "O-TWO-REASONS"]
    assert _current(flow, "O-ONLY-MATCH").route is Route.HOLD
    assert _cited(_current(flow, "O-TWO-REASONS")) == []
    flow.send(_zephyr("O-NEXT"))
    assert _current(flow, "O-NEXT").route is Route.HOLD


def test_an_expired_clearance_no_longer_clears_and_says_so(flow: Flow) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW - timedelta(seconds=1))
    held = _current(flow, "O-ONLY-MATCH")
    changes, refused = flow.store.offer_clearances([_record(entry)])
    assert refused == []
    assert _rescreen(flow, changes) == []
    assert _current(flow, "O-ONLY-MATCH") == held
    flow.send(_zephyr("O-NEXT"))
    held = _current(flow, "O-NEXT")
    assert held.route is Route.HOLD
    expired = f"clearance by alice expired {entry.expires_at:%Y-%m-%d}"
    matches = [m for m in held.party_matches if m.listed_name == ZEPHYR["name"]]
    assert [expired in m.matched for m in matches] == [True, True]


def _clock_moved(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """Screening from now on judges clearances `by` later than the real clock."""

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + by

    monkeypatch.setattr(screener_module, "datetime", Later)


def test_a_clearance_that_expires_before_the_rescreen_runs_leaves_the_order_held(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(hours=1))
    before = {o: _current(flow, o) for o in ("O-ONLY-MATCH", "O-TWO-REASONS")}
    changes, _ = flow.store.offer_clearances([_record(entry)])
    keys = flow.rescreener.held_on_clearances(flow.store.clearances.current, datetime.now(UTC))
    assert sorted(k.decode() for k in keys) == ["O-ONLY-MATCH", "O-TWO-REASONS"]
    assert changes
    _clock_moved(monkeypatch, timedelta(hours=2))
    published = len(flow.published)
    for key in keys:
        flow.deliver(flow.on_rescreen(key.decode(), ALLOWLIST_RESCREEN))
    assert flow.published[published:] == []
    assert {o: _current(flow, o) for o in before} == before


def test_a_released_order_stays_released_when_its_clearance_expires(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(hours=1))
    changes, _ = flow.store.offer_clearances([_record(entry)])
    _rescreen(flow, changes)
    released = _current(flow, "O-ONLY-MATCH")
    assert released.route is Route.RELEASE
    _clock_moved(monkeypatch, timedelta(hours=2))
    # Expiry is no change event, and a sweep picks no released order (nor the held one citing it).
    later = datetime.now(UTC) + timedelta(hours=2)
    assert flow.rescreener.held_on_clearances(flow.store.clearances.current, later) == []
    assert _current(flow, "O-ONLY-MATCH") == released
    flow.send(_zephyr("O-NEXT"))
    assert _current(flow, "O-NEXT").route is Route.HOLD


def test_sweeping_again_rescreens_nothing(flow: Flow) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(days=30))
    changes, _ = flow.store.offer_clearances([_record(entry)])
    assert _rescreen(flow, changes) == ["O-ONLY-MATCH", "O-TWO-REASONS"]
    published = len(flow.published)
    assert flow.rescreener.held_on_clearances(flow.store.clearances.current, datetime.now(UTC)) == []
    # A request sent twice (a sweep before a restart, one after) publishes nothing the second time.
    for order_id in ("O-ONLY-MATCH", "O-TWO-REASONS"):
        flow.deliver(flow.on_rescreen(order_id, ALLOWLIST_RESCREEN))
    assert flow.published[published:] == []


def _mangled(how: str, key: str, value: bytes) -> tuple[str, bytes]:
    if how == "garbage":
        return key, b"{not json"
    if how == "wrong-key":
        return "other|key", value
    return key, value.replace(b'"reason":', b'"unexpected":1,"reason":')


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("garbage", "not an allowlist entry"),
        ("wrong-key", "is not its entry's key"),
        ("unknown-field", "not an allowlist entry"),
    ],
)
def test_a_malformed_record_is_refused_and_the_clearance_in_force_stays(
    flow: Flow, how: str, reason: str
) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(days=30))
    flow.store.offer_clearances([_record(entry)])
    version = flow.store.clearances.current.version
    key, value = _mangled(how, *_record(entry))
    changes, refused = flow.store.offer_clearances([(key, value)])
    assert changes == []
    assert [(r.key, reason in r.reason) for r in refused] == [(key, True)]
    assert flow.store.clearances.current.version == version
    flow.send(_zephyr("O-NEXT"))
    assert _current(flow, "O-NEXT").route is Route.RELEASE


def test_a_record_without_the_party_key_is_refused(flow: Flow) -> None:
    entry = _clear_match(_current(flow, "O-REVIEWED"), NOW + timedelta(days=30))
    old_style = entry.model_copy(update={"party_key": None})
    changes, refused = flow.store.offer_clearances([_record(old_style)])
    assert changes == []
    assert ["clear the match again" in r.reason for r in refused] == [True]
