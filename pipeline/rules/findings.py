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
