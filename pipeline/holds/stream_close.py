"""The audit record of a hold the stream closed rather than a review: a worker's re-screen after a
clearance or a reference data change, or a new revision of the order.

The worker's published decision is the fact; the review applier, which writes the audit trail and
owns the open holds, derives this record when that decision closes a hold. Its id derives from the
closed hold's decision, so the hold's close is audited once however often the decision is sent.
A close that cites clearances the hold did not (`action` "clearance") names each: the party and
list entry, who cleared it, when, why and until when; the actor is who cleared.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pipeline.decisions.record import CLEARED_RULE
from pipeline.holds.apply import applied_detail
from schemas.decision import DecisionRecord, PartyMatch, Reason
from schemas.review import AuditOutcome, AuditRecord

_NAMESPACE = uuid.UUID("3f9a7c21-8e4b-4d1f-9c62-5b0e7a1d4c38")
# The audit actions of a hold the stream closed (pipeline/holds/closed.py lists them as closes).
CLEARANCE_ACTION = "clearance"
RESCREEN_ACTION = "rescreen"
REVISION_ACTION = "revision"
STREAM_ACTIONS = frozenset({CLEARANCE_ACTION, RESCREEN_ACTION, REVISION_ACTION})
RESCREENING = "re-screening"
# AuditRecord text fields the console shows in a table cell: bounded.
_MAX_DETAIL = 2000
_MAX_WHY = 2000
_MAX_ACTOR = 200


@dataclass(frozen=True, slots=True)
class CitedClearance:
    clearance_id: str
    cleared_by: str
    cleared_at: str
    why: str
    until: str
    entry_id: str
    name_sent: str
    party_role: str


def cited(decision: DecisionRecord) -> list[CitedClearance]:
    """The clearances a decision's `party.cleared` reasons cite, in reason order."""
    return [_cited(reason) for reason in decision.reasons if reason.rule_id == CLEARED_RULE]


def _cited(reason: Reason) -> CitedClearance:
    evidence = reason.evidence
    return CitedClearance(
        clearance_id=str(evidence.get("clearance_id", "")),
        cleared_by=str(evidence.get("cleared_by", "")),
        cleared_at=str(evidence.get("cleared_at", "")),
        why=str(evidence.get("why", "")),
        until=str(evidence.get("until", "")),
        entry_id=str(evidence.get("cleared_entry_id", "")),
        name_sent=str(evidence.get("name_sent", "")),
        party_role=reason.party_role or "",
    )


def newly_cited(held: DecisionRecord, closing: DecisionRecord) -> list[CitedClearance]:
    """The clearances `closing` cites and the hold's decision did not: what released the order."""
    before = {c.clearance_id for c in cited(held)}
    return [c for c in cited(closing) if c.clearance_id not in before]


def cleared_by_and_why(clearances: list[CitedClearance]) -> tuple[str, str]:
    """Who cleared and why, for a close that several clearances may have made together."""
    return (
        ", ".join(sorted({c.cleared_by for c in clearances})),
        "; ".join(sorted({c.why for c in clearances})),
    )


def stream_close_audit(held: DecisionRecord, closing: DecisionRecord) -> AuditRecord:
    """The record of `closing` (no review) closing the hold `held` was on."""
    new = newly_cited(held, closing)
    follow_up = f"decision {closing.decision_id} superseding {held.decision_id}"
    parts = [f"{applied_detail(closing.route)}; {follow_up}"]
    if new:
        action = CLEARANCE_ACTION
        actor, why = cleared_by_and_why(new)
        by_id: dict[str, list[CitedClearance]] = {}
        for clearance in new:
            by_id.setdefault(clearance.clearance_id, []).append(clearance)
        parts.extend(_described(group, held.party_matches) for group in by_id.values())
    else:
        action = REVISION_ACTION if closing.revision > held.revision else RESCREEN_ACTION
        actor = RESCREENING
        changed = sorted(k for k, v in closing.versions.items() if held.versions.get(k) != v)
        parts.append(f"revision {closing.revision}; changed: {', '.join(changed) or 'nothing'}")
        why = ""
    return AuditRecord(
        audit_id=str(uuid.uuid5(_NAMESPACE, f"closed/{held.order_id}/{held.decision_id}")),
        at=closing.evaluated_at,
        actor=actor[:_MAX_ACTOR],
        action=action,
        outcome=AuditOutcome.APPLIED,
        order_id=closing.order_id,
        decision_id=closing.decision_id,
        review_id=new[0].clearance_id if new else None,
        why=why[:_MAX_WHY],
        detail="; ".join(parts)[:_MAX_DETAIL],
    )


def _described(clearances: list[CitedClearance], matches: list[PartyMatch]) -> str:
    """One clearance, cited for one or more parties of the order (consignee and end user, say)."""
    first = clearances[0]
    listed = next(
        (
            f"{m.listed_name} ({m.list} {m.entry_id})"
            for m in matches
            if m.entry_id == first.entry_id and m.name_sent == first.name_sent
        ),
        f"list entry {first.entry_id}",
    )
    roles = "/".join(dict.fromkeys(c.party_role for c in clearances))
    return (
        f"clearance {first.clearance_id}: {roles} {first.name_sent}, match on {listed} cleared by "
        f"{first.cleared_by} at {first.cleared_at or 'an unknown time'}, until {first.until}"
    )
