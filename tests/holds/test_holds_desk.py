"""The pure parts of an analyst's day: the headline and grouping of findings, claims, the audit search,
closed holds, the CSV export and pagination."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.console.export import COLUMNS, queue_csv, safe_cell
from pipeline.console.paging import paging
from pipeline.holds.apply import apply_review, may_license
from pipeline.holds.audit_log import AuditLog, AuditQuery
from pipeline.holds.claims import ClaimBook, ClaimRefusedError, next_claim
from pipeline.holds.closed import closed_holds
from pipeline.holds.findings import group_findings, headline
from pipeline.holds.queue import HoldFilter, HoldQueue
from schemas.decision import Outcome, Reason
from schemas.review import AuditOutcome, AuditRecord, HoldClaim, Review, ReviewAction
from tests.holds.samples import licence_hold, party_list_hold

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _reason(rule: str, outcome: Outcome, line: str | None = None, role: str | None = None) -> Reason:
    return Reason(
        rule_id=rule, title=f"{rule} title", outcome=outcome, line_id=line, party_role=role, explanation=rule
    )


def test_the_headline_is_the_most_severe_finding_whatever_the_order_reported() -> None:
    reasons = [
        _reason("licence", Outcome.LICENCE_REQUIRED, "1"),
        _reason("review", Outcome.REVIEW, "2"),
        _reason("list", Outcome.PROHIBITED, role="end_user"),
        _reason("review.release", Outcome.INFO),
    ]
    top = headline(reasons)
    assert top is not None
    assert (top.rule_id, top.outcome) == ("list", Outcome.PROHIBITED)
    assert headline([_reason("review.escalate", Outcome.INFO)]) is None

    queue = HoldQueue()
    decision = licence_hold("o-1", evaluated_at=NOW).model_copy(update={"reasons": reasons})
    queue.add_decision(decision)
    [row] = queue.open_holds(NOW)
    assert (row.headline, row.headline_outcome) == ("list title", "prohibited")


def test_findings_are_grouped_per_rule_across_lines_most_severe_first() -> None:
    reasons = [
        _reason("licence", Outcome.LICENCE_REQUIRED, "1"),
        _reason("licence", Outcome.LICENCE_REQUIRED, "2"),
        _reason("list", Outcome.PROHIBITED, role="end_user"),
        _reason("licence", Outcome.LICENCE_REQUIRED, "2"),
        _reason("list", Outcome.PROHIBITED, role="consignee"),
    ]
    groups = group_findings(reasons)
    assert [(g.rule_id, g.outcome, g.concerns, len(g.reasons)) for g in groups] == [
        ("list", Outcome.PROHIBITED, ("end_user", "consignee"), 2),
        ("licence", Outcome.LICENCE_REQUIRED, ("line 1", "line 2"), 3),
    ]


def test_send_to_licensing_cannot_apply_to_a_prohibited_finding() -> None:
    prohibited = party_list_hold("o-1", evaluated_at=NOW)
    assert not may_license(prohibited)
    assert may_license(licence_hold("o-2", evaluated_at=NOW))


def _claim(order: str, assignee: str | None, by: str, minutes: int) -> HoldClaim:
    return HoldClaim(order_id=order, assignee=assignee, by=by, at=NOW + timedelta(minutes=minutes))


def test_claims_keep_the_latest_and_taking_over_is_explicit() -> None:
    book = ClaimBook()
    assert book.add(_claim("o-1", "alice", "alice", 1))
    assert not book.add(_claim("o-1", "bob", "bob", 0))  # an older claim read late changes nothing
    assert not book.add(_claim("o-1", "alice", "alice", 1))  # a replay changes nothing
    assert book.assignee("o-1") == "alice"
    with pytest.raises(ClaimRefusedError, match="claimed by alice; take it over"):
        next_claim(book, "o-1", "bob", "bob", NOW, take_over=False)
    with pytest.raises(ClaimRefusedError, match="already claimed by alice"):
        next_claim(book, "o-1", "alice", "alice", NOW, take_over=False)
    taken = next_claim(book, "o-1", "bob", "bob", NOW + timedelta(minutes=5), take_over=True)
    assert (taken.assignee, taken.by) == ("bob", "bob")
    # The assignee may give a hold back; nobody else may without taking it over.
    assert next_claim(book, "o-1", "alice", None, NOW, take_over=False).assignee is None
    book.add(_claim("o-2", None, "alice", 2))
    assert book.assignee("o-2") is None


def _audit(n: int, actor: str, action: str, order: str | None, day: int) -> AuditRecord:
    return AuditRecord(
        audit_id=f"a-{n}",
        at=datetime(2026, 3, day, 9, n, tzinfo=UTC),
        actor=actor,
        action=action,
        outcome=AuditOutcome.REQUESTED,
        order_id=order,
    )


def test_the_audit_search_narrows_by_order_reviewer_action_and_days_newest_first() -> None:
    log = AuditLog(limit=5)
    records = [
        _audit(1, "alice", "release", "ORD-1", 1),
        _audit(2, "bob", "deny", "ORD-2", 2),
        _audit(3, "alice", "deny", "ORD-12", 3),
        _audit(4, "alice", "sign_in", None, 3),
        _audit(5, "bob", "release", "ORD-1", 4),
    ]
    for record in records:
        assert log.add(record)
    assert not log.add(records[0])

    def ids(query: AuditQuery) -> list[str]:
        return [r.audit_id for r in log.search(query)]

    assert ids(AuditQuery()) == ["a-5", "a-4", "a-3", "a-2", "a-1"]
    assert ids(AuditQuery(order="ord-1")) == ["a-5", "a-3", "a-1"]
    assert ids(AuditQuery(actor="ALICE", action="deny")) == ["a-3"]
    assert ids(AuditQuery(since=date(2026, 3, 2), until=date(2026, 3, 3))) == ["a-4", "a-3", "a-2"]
    assert log.actions() == ["deny", "release", "sign_in"]
    log.add(_audit(6, "carol", "escalate", "ORD-9", 5))
    assert (log.dropped, ids(AuditQuery(order="ORD-1"))) == (1, ["a-5", "a-3"])


def _review(decision_id: str, order: str, action: ReviewAction, who: str, minutes: int) -> Review:
    return Review(
        review_id=f"r-{order}-{minutes}",
        order_id=order,
        decision_id=decision_id,
        action=action,
        reviewer=who,
        justification="checked",
        created_at=NOW + timedelta(minutes=minutes),
    )


def test_closed_holds_say_how_by_whom_why_and_since_when_newest_first() -> None:
    queue = HoldQueue()
    released = licence_hold("o-rel", evaluated_at=NOW)
    denied = licence_hold("o-den", evaluated_at=NOW)
    still_open = licence_hold("o-open", evaluated_at=NOW)
    for decision in (released, denied, still_open):
        queue.add_decision(decision)
    for decision, action, minutes in ((released, ReviewAction.RELEASE, 30), (denied, ReviewAction.DENY, 45)):
        follow_up = apply_review(
            decision, _review(decision.decision_id, decision.order_id, action, "alice", minutes), []
        )
        assert follow_up is not None
        queue.add_decision(follow_up)
    found = closed_holds(queue.files())
    assert [(c.order_id, c.closed_as, c.closed_by, c.justification) for c in found] == [
        ("o-den", "denied", "alice", "checked"),
        ("o-rel", "released", "alice", "checked"),
    ]
    assert found[0].held_since == NOW
    assert found[0].closed_at == NOW + timedelta(minutes=45)
    assert found[0].why_held == "Controlled gallium item without a stated end use"
    assert [c.order_id for c in closed_holds(queue.files(), "REL")] == ["o-rel"]
    assert [r.order_id for r in queue.open_holds(NOW, HoldFilter(order="OPEN"))] == ["o-open"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("ORD-1", "ORD-1"),
        ("", ""),
    ],
)
def test_csv_cells_that_could_run_as_formulas_are_escaped(value: str, shown: str) -> None:
    assert safe_cell(value) == shown


def test_the_csv_export_has_every_row_with_its_claim_and_sla_state() -> None:
    queue = HoldQueue()
    queue.add_decision(licence_hold("=cmd|' /C calc'!A0", evaluated_at=NOW - timedelta(hours=5)))
    queue.add_decision(licence_hold("ORD-2", evaluated_at=NOW - timedelta(hours=1)))
    rows = queue.open_holds(NOW)
    text = queue_csv([(rows[0], "alice"), (rows[1], None)], sla_seconds=4 * 3600)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(COLUMNS)
    assert [(r[0], r[3], r[9]) for r in parsed[1:]] == [
        ("'=cmd|' /C calc'!A0", "over", "alice"),
        ("ORD-2", "ok", ""),
    ]


def test_paging_clamps_to_the_pages_that_exist() -> None:
    items = list(range(7))
    first = paging({"per_page": "3"}, len(items))
    assert (first.number, first.pages, first.window(items)) == (1, 3, [0, 1, 2])
    last = paging({"per_page": "3", "page": "99"}, len(items))
    assert (last.number, last.window(items)) == (3, [6])
    assert paging({"per_page": "x", "page": "-1"}, 0).pages == 1


def test_queue_summaries_are_reused_between_changes_with_fresh_ages() -> None:
    queue = HoldQueue()
    decision = party_list_hold("o-1", evaluated_at=NOW)
    queue.add_decision(decision)
    [first] = queue.open_holds(NOW + timedelta(minutes=5))
    [later] = queue.open_holds(NOW + timedelta(hours=2), HoldFilter(min_age_hours=1))
    assert (first.age, later.age, later.approvals) == ("5 min", "2 h", ())
    queue.add_review(_review(decision.decision_id, "o-1", ReviewAction.RELEASE, "alice", 1))
    [reviewed] = queue.open_holds(NOW + timedelta(hours=2))
    assert reviewed.approvals == ("alice",)
    assert queue.open_holds(NOW, HoldFilter(min_age_hours=1)) == []
