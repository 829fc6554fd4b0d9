"""Screen every case with the screener the worker uses, broker-free, as of each order's own date."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from pipeline.evaluation.cases import EvalCase
from pipeline.evaluation.tally import CaseOutcome
from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Reason
from schemas.order import OrderEvent


class OrderScreener(Protocol):
    def screen(self, order: OrderEvent) -> DecisionRecord: ...


def reason_line(reason: Reason) -> str:
    where = f" line {reason.line_id}" if reason.line_id else ""
    where += f" {reason.party_role}" if reason.party_role else ""
    return f"{reason.rule_id} [{reason.outcome.value}]{where}: {reason.explanation}"


def run_cases(cases: Iterable[EvalCase], screener: OrderScreener) -> Iterator[CaseOutcome]:
    for case in cases:
        decision = screener.screen(case.order)
        yield CaseOutcome(case, decision.route, tuple(reason_line(r) for r in decision.reasons))


def build_eval_screener(settings: Settings) -> OrderScreener:
    """`build_screener` on the reference files named in `settings` (the bundled data by default)."""
    from pipeline.screening import build_screener

    return build_screener(settings)
