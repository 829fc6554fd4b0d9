"""Current decision per order: higher revisions supersede, repeats and late arrivals change nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from pipeline.decisions.revisions import (
    Current,
    StoredHead,
    Verdict,
    accept_decision,
    encode_current,
    judge_revision,
    withdraw,
)
from schemas.decision import DecisionRecord, Route


def record(
    revision: int, route: Route = Route.RELEASE, *, decision_id: str = "", supersedes: str | None = None
) -> DecisionRecord:
    return DecisionRecord(
        decision_id=decision_id or f"d-{revision}-{route}",
        order_id="O1",
        revision=revision,
        route=route,
        as_of=date(2026, 3, 1),
        evaluated_at=datetime(2026, 3, 1, tzinfo=UTC),
        supersedes=supersedes,
    )


CURRENT = Current(2, record(2))


@pytest.mark.parametrize(
    ("current", "revision", "supersedes", "verdict"),
    [
        (None, 1, None, Verdict.FIRST),
        (CURRENT, 3, None, Verdict.SUPERSEDES),
        (CURRENT, 2, None, Verdict.REPEATED),
        (CURRENT, 1, None, Verdict.STALE),
        (CURRENT, 2, "d-2-release", Verdict.FOLLOW_UP),
        (CURRENT, 2, "some-older-id", Verdict.REPEATED),
        (Current(2, record(2), withdrawn=True), 2, "d-2-release", Verdict.REPEATED),
    ],
)
def test_verdicts(current: Current | None, revision: int, supersedes: str | None, verdict: Verdict) -> None:
    assert judge_revision(current, revision, supersedes) is verdict


def test_only_changing_verdicts_replace_the_current_decision() -> None:
    assert accept_decision(CURRENT, record(1, Route.HOLD)) == (Verdict.STALE, None)
    assert accept_decision(CURRENT, record(2, Route.HOLD)) == (Verdict.REPEATED, None)
    verdict, kept = accept_decision(CURRENT, record(3, Route.HOLD))
    assert verdict is Verdict.SUPERSEDES
    assert kept is not None
    assert kept.decision is not None
    assert kept.decision.route is Route.HOLD


def test_rescreen_follow_up_replaces_the_same_revision() -> None:
    follow_up = record(2, Route.HOLD, decision_id="d-2-rescreen", supersedes="d-2-release")
    verdict, kept = accept_decision(CURRENT, follow_up)
    assert verdict is Verdict.FOLLOW_UP
    assert kept == Current(2, follow_up)


def test_cancellation_withdraws_and_late_revisions_stay_out() -> None:
    verdict, kept = withdraw(CURRENT, 3)
    assert verdict is Verdict.SUPERSEDES
    assert kept is not None
    assert kept.withdrawn
    assert accept_decision(kept, record(3)) == (Verdict.REPEATED, None)
    assert accept_decision(kept, record(2)) == (Verdict.STALE, None)


def test_json_round_trip() -> None:
    assert Current.from_json(CURRENT.to_json()) == CURRENT
    assert Current.from_json(Current(4, None, withdrawn=True).to_json()) == Current(4, None, withdrawn=True)


def test_an_entry_encoded_from_the_published_bytes_reads_back_like_any_other() -> None:
    follow_up = record(2, Route.HOLD, decision_id="d-2-review", supersedes="d-2-release")
    stored = encode_current(2, follow_up.model_dump_json().encode())
    assert Current.from_json(json.loads(stored)) == Current(2, follow_up)
    assert StoredHead.parse(stored) == StoredHead(2, withdrawn=False, decision_id="d-2-review")


@pytest.mark.parametrize("supersedes", [None, "d-2-release", "some-older-id"])
@pytest.mark.parametrize("revision", [1, 2, 3])
@pytest.mark.parametrize("withdrawn", [False, True])
def test_the_stored_head_judges_as_the_full_entry(
    revision: int, supersedes: str | None, withdrawn: bool
) -> None:
    entry = Current(2, record(2), withdrawn=withdrawn)
    head = StoredHead.parse(json.dumps(entry.to_json()).encode())
    assert judge_revision(head, revision, supersedes) is judge_revision(entry, revision, supersedes)
