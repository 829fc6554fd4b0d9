"""How a hold's findings read to a reviewer: the most severe first, one entry per rule across lines.

An order with the same finding on five lines is one problem, not five; and the "why" of a hold is
its most severe finding, whatever order the engine reported them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.decision import Citation, Outcome, Reason

# Most severe first: what forbids the export, what needs a person, what needs a licence, then the rest.
_RANK: dict[Outcome, int] = {
    Outcome.PROHIBITED: 0,
    Outcome.REVIEW: 1,
    Outcome.LICENCE_REQUIRED: 2,
    Outcome.LICENSED: 3,
    Outcome.EXEMPT: 4,
    Outcome.INFO: 5,
}
REVIEW_PREFIX = "review."


def severity_rank(outcome: Outcome) -> int:
    return _RANK[outcome]


def screening_findings(reasons: Iterable[Reason]) -> list[Reason]:
    """The screening's findings, without the notes reviews add (`review.*`)."""
    return [r for r in reasons if not r.rule_id.startswith(REVIEW_PREFIX)]


def headline(reasons: Iterable[Reason]) -> Reason | None:
    """The most severe screening finding; the first reported among equals."""
    findings = screening_findings(reasons)
    return min(findings, key=lambda r: _RANK[r.outcome]) if findings else None


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """One rule's finding with one outcome, and every line or party it concerns."""

    rule_id: str
    title: str
    outcome: Outcome
    citation: Citation | None
    reasons: tuple[Reason, ...]

    @property
    def concerns(self) -> tuple[str, ...]:
        """Line ids ("line 1") and party roles, in the order reported, without repeats."""
        named = (concern(r) for r in self.reasons)
        return tuple(dict.fromkeys(c for c in named if c))


def concern(reason: Reason) -> str:
    """What a finding is about: "line 3", a party role, or "" for the whole order."""
    if reason.line_id:
        return f"line {reason.line_id}"
    return reason.party_role or ""


def group_findings(reasons: Iterable[Reason]) -> list[FindingGroup]:
    """Findings grouped by (rule, outcome), most severe group first, else in the order reported."""
    grouped: dict[tuple[str, Outcome], list[Reason]] = {}
    for reason in reasons:
        grouped.setdefault((reason.rule_id, reason.outcome), []).append(reason)
    groups = [
        FindingGroup(
            rule_id=rule_id,
            title=members[0].title,
            outcome=outcome,
            citation=next((m.citation for m in members if m.citation is not None), None),
            reasons=tuple(members),
        )
        for (rule_id, outcome), members in grouped.items()
    ]
    # sorted() is stable: groups of one severity keep the order their first finding was reported in.
    return sorted(groups, key=lambda g: _RANK[g.outcome])
