"""Build the decision record from an enriched order and its findings.

Everything but `decision_id` and `evaluated_at` is a function of the order, the findings and the
versions, so a replay with the same versions gives the same record. The record is assembled from
the engine's own typed values, not validated again (`assemble.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pipeline.decisions.assemble import assembled, plain_model
from pipeline.decisions.ids import random_uuid
from pipeline.decisions.route import ROUTE_OF_OUTCOME, route_of
from pipeline.enrichment.enriched import EnrichedOrder, PartyHit
from pipeline.rules.findings import Finding
from schemas.decision import DecisionRecord, Outcome, PartyMatch, Reason

_REASON = plain_model(Reason)
_PARTY_MATCH = plain_model(PartyMatch)
_DECISION = plain_model(DecisionRecord)
_REASON_FIELDS = frozenset(Reason.model_fields)
_CLEARED_FIELDS = frozenset(("rule_id", "title", "outcome", "party_role", "explanation", "evidence"))
_PARTY_MATCH_FIELDS = frozenset(PartyMatch.model_fields)
# What build_decision sets; supersedes, review and source keep their defaults.
_DECISION_FIELDS = frozenset(DecisionRecord.model_fields) - {"supersedes", "review", "source"}


def reason_from_finding(finding: Finding) -> Reason:
    return assembled(
        _REASON,
        {
            "rule_id": finding.rule_id,
            "title": finding.title,
            "outcome": finding.outcome,
            "citation": finding.citation,
            "line_id": finding.line_id,
            "party_role": finding.party_role,
            "explanation": finding.explanation,
            "evidence": dict(finding.evidence),
            "confidence": finding.confidence,
        },
        set(_REASON_FIELDS),
    )


def party_match_of(hit: PartyHit) -> PartyMatch:
    return assembled(
        _PARTY_MATCH,
        {
            "role": hit.role,
            "name_sent": hit.name_sent,
            "list": hit.list_name,
            "program": hit.program,
            "entry_id": hit.entry_id,
            "listed_name": hit.listed_name,
            "score": float(hit.score),
            "strength": hit.strength,
            "matched": hit.matched,
            "status": hit.status,
            "via_owner": hit.via_owner,
            "party_key": hit.party_key or None,
            "entry_hash": hit.entry_hash or None,
        },
        set(_PARTY_MATCH_FIELDS),
    )


CLEARED_RULE = "party.cleared"


def cleared_reason(hit: PartyHit) -> Reason:
    """An informational reason citing the clearance that silenced `hit`: id, who, when, why, until."""
    note = hit.clearance
    assert note is not None  # only cleared hits are passed
    when = f" on {note.cleared_at:%Y-%m-%d %H:%M} UTC" if note.cleared_at else ""
    evidence = {
        "clearance_id": note.clearance_id,
        "cleared_by": note.cleared_by,
        "cleared_at": note.cleared_at.isoformat() if note.cleared_at else "",
        "why": note.reason,
        "until": note.expires_at.isoformat(),
        "cleared_entry_id": hit.entry_id,
        "name_sent": hit.name_sent,
    }
    explanation = (
        f"{hit.name_sent} matched {hit.listed_name} ({hit.program} {hit.entry_id}); cleared by "
        f"{note.cleared_by}{when}: {note.reason} (clearance {note.clearance_id}, "
        f"until {note.expires_at:%Y-%m-%d})"
    )
    return assembled(
        _REASON,
        {
            "rule_id": CLEARED_RULE,
            "title": "Party match cleared by a reviewer",
            "outcome": Outcome.INFO,
            "citation": None,
            "line_id": None,
            "party_role": hit.role,
            "explanation": explanation,
            "evidence": evidence,
            "confidence": None,
        },
        set(_CLEARED_FIELDS),
    )


# Most restrictive first: the severity of the route each outcome leads to, looked up once.
_RANK = {outcome: -route.severity for outcome, route in ROUTE_OF_OUTCOME.items()}


def _severity(finding: Finding) -> int:
    return _RANK[finding.outcome]


def build_decision(
    order: EnrichedOrder,
    findings: Sequence[Finding],
    *,
    decision_id: str | None = None,
    evaluated_at: datetime | None = None,
    rules_version: str | None = None,
    versions: Mapping[str, str] | None = None,
) -> DecisionRecord:
    """The decision for `order`; reasons most restrictive first, then in the engine's order.

    `versions`, when given, are recorded as they are (the live screener's, computed once per
    reference snapshot); otherwise the enrichment's and `rules_version`, sorted by kind.
    """
    ordered = sorted(findings, key=_severity)
    if versions is None:
        own = dict(order.versions)
        if rules_version is not None:
            own["rules"] = rules_version
        versions = dict(sorted(own.items()))
    hits = sorted(order.party_hits, key=lambda h: (h.role, h.program, h.entry_id, h.listed_name))
    reasons = [reason_from_finding(f) for f in ordered]
    if order.cleared_hits:
        reasons.extend(cleared_reason(h) for h in order.cleared_hits)
    return assembled(
        _DECISION,
        {
            "decision_id": decision_id or random_uuid(),
            "order_id": order.order.order_id,
            "revision": order.order.revision,
            "route": route_of(findings),
            "as_of": order.as_of,
            "evaluated_at": evaluated_at or datetime.now(UTC),
            "event_time": order.order.event_time,
            "reasons": reasons,
            "party_matches": [party_match_of(h) for h in hits],
            "versions": dict(versions),
            "fail_closed": any(f.fail_closed for f in findings),
            "supersedes": None,
            "review": None,
            "source": None,
        },
        set(_DECISION_FIELDS),
    )
