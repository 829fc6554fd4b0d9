"""Judge each screened case against the routes an analyst accepts, and count per class.

Strictness: RELEASE < LICENSE < HOLD. A route less strict than every accepted route is a wrongful
release (the failure that matters most); stricter than every accepted route is an over-hold; a route
between two accepted ones (LICENSE where only RELEASE or HOLD is accepted) is a miss of neither kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.evaluation.cases import EvalCase
from schemas.decision import Route


class Verdict(StrEnum):
    CORRECT = "correct"
    WRONGLY_RELEASED = "wrongly released"
    OVER_HELD = "over-held"
    OTHER_MISS = "other miss"


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """What the screener decided for one case, with its reasons as one line each."""

    case: EvalCase
    route: Route
    reasons: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return judge(self.route, self.case.accept)


def judge(route: Route, accept: frozenset[Route]) -> Verdict:
    if route in accept:
        return Verdict.CORRECT
    if all(route.severity < accepted.severity for accepted in accept):
        return Verdict.WRONGLY_RELEASED
    if all(route.severity > accepted.severity for accepted in accept):
        return Verdict.OVER_HELD
    return Verdict.OTHER_MISS


@dataclass(slots=True)
class ClassTally:
    name: str
    cases: int = 0
    correct: int = 0
    wrongly_released: int = 0
    over_held: int = 0
    other_misses: int = 0
    misses: list[CaseOutcome] = field(default_factory=list)

    def add(self, outcome: CaseOutcome) -> None:
        self.cases += 1
        verdict = outcome.verdict
        if verdict is Verdict.CORRECT:
            self.correct += 1
            return
        self.misses.append(outcome)
        if verdict is Verdict.WRONGLY_RELEASED:
            self.wrongly_released += 1
        elif verdict is Verdict.OVER_HELD:
            self.over_held += 1
        else:
            self.other_misses += 1


@dataclass(frozen=True, slots=True)
class Tally:
    classes: tuple[ClassTally, ...]
    total: ClassTally

    @property
    def wrongful_releases(self) -> list[CaseOutcome]:
        return [m for m in self.total.misses if m.verdict is Verdict.WRONGLY_RELEASED]


def tally(outcomes: Iterable[CaseOutcome]) -> Tally:
    """Counts per class (sorted by class name) and over all cases."""
    by_class: dict[str, ClassTally] = {}
    total = ClassTally("total")
    for outcome in outcomes:
        name = outcome.case.class_name
        by_class.setdefault(name, ClassTally(name)).add(outcome)
        total.add(outcome)
    return Tally(tuple(by_class[name] for name in sorted(by_class)), total)
