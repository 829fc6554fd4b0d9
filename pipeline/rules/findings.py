"""What the engine concludes about an order: one finding per rule that applies to a line or party."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.decision import Citation, Outcome

# Rule ids of the engine's own fail-closed findings; they carry no regulatory citation.
UNCLASSIFIED_LINE = "pipeline.unclassified-line"
MISSING_END_USE = "pipeline.missing-end-use"
REFERENCE_DATA_GAP = "pipeline.reference-data-gap"
FAIL_CLOSED_RULES = frozenset({UNCLASSIFIED_LINE, MISSING_END_USE, REFERENCE_DATA_GAP})


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    title: str
    outcome: Outcome
    citation: Citation | None
    line_id: str | None
    party_role: str | None
    explanation: str
    evidence: tuple[tuple[str, str], ...]
    confidence: str | None = None
    # The rule's own index in the pack (engine findings sort after regulatory ones).
    rule_index: int = -1

    @property
    def fail_closed(self) -> bool:
        return self.rule_id in FAIL_CLOSED_RULES


@dataclass(frozen=True, slots=True)
class FindingTemplate:
    """A finding without its line id and date: what a rule concludes for one line classification
    under one date regime and order context, built once and remembered (see `engine`)."""

    rule_id: str
    title: str
    outcome: Outcome
    citation: Citation | None
    party_role: str | None
    # explanation = before_line + line id + before_date + as-of date + after_date
    before_line: str
    before_date: str
    after_date: str
    evidence: tuple[tuple[str, str], ...]
    confidence: str | None
    rule_index: int

    def build(self, line_id: str, as_of: str) -> Finding:
        return Finding(
            self.rule_id,
            self.title,
            self.outcome,
            self.citation,
            line_id,
            self.party_role,
            f"{self.before_line}{line_id}{self.before_date}{as_of}{self.after_date}",
            self.evidence,
            self.confidence,
            self.rule_index,
        )
