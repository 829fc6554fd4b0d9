"""The evaluation report: a table per class and the misses with their decisions' reasons, as text
(rich) or as JSON for scripts."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.evaluation.tally import CaseOutcome, ClassTally, Tally, Verdict
from schemas.decision import Route

_STRICTNESS_ORDER = (Route.RELEASE, Route.LICENSE, Route.HOLD)


def accepted_names(outcome: CaseOutcome) -> list[str]:
    return [route.name for route in _STRICTNESS_ORDER if route in outcome.case.accept]


def _row(table: Table, row: ClassTally, *, style: str = "") -> None:
    table.add_row(
        row.name,
        str(row.cases),
        str(row.correct),
        Text(str(row.wrongly_released), style="bold red" if row.wrongly_released else ""),
        str(row.over_held),
        str(row.other_misses),
        style=style,
    )


def class_table(result: Tally, title: str) -> Table:
    table = Table(title=title)
    table.add_column("Class", no_wrap=True)
    for header in ("Cases", "Correct", "Wrongly released", "Over-held", "Other misses"):
        table.add_column(header, justify="right")
    for row in result.classes:
        _row(table, row)
    table.add_section()
    _row(table, result.total, style="bold")
    return table


def summary_line(result: Tally) -> str:
    total = result.total
    share = total.over_held / total.cases if total.cases else 0.0
    return (
        f"{total.cases} cases: {total.wrongly_released} wrongly released, "
        f"{total.over_held} over-held ({share:.1%} of cases), {total.other_misses} other misses"
    )


def print_report(result: Tally, console: Console, *, title: str) -> None:
    console.print(class_table(result, title))
    console.print(summary_line(result), highlight=False)
    order = {Verdict.WRONGLY_RELEASED: 0, Verdict.OVER_HELD: 1, Verdict.OTHER_MISS: 2}
    misses = sorted(result.total.misses, key=lambda m: (order[m.verdict], m.case.class_name, m.case.id))
    if not misses:
        console.print("no misses")
        return
    console.print(f"\n{len(misses)} misses:")
    for miss in misses:
        accepted = "/".join(accepted_names(miss))
        header = Text.assemble(
            (miss.verdict.value, "bold"),
            f" {miss.case.id} ({miss.case.class_name}): got {miss.route.name}, accepted {accepted}",
        )
        console.print(header, highlight=False, soft_wrap=True)
        console.print(f"  why: {miss.case.why}", highlight=False, markup=False, soft_wrap=True)
        for reason in miss.reasons or ("(no reasons: nothing applied)",):
            console.print(f"  - {reason}", highlight=False, markup=False, soft_wrap=True)


def _class_json(row: ClassTally) -> dict[str, Any]:
    return {
        "class": row.name,
        "cases": row.cases,
        "correct": row.correct,
        "wrongly_released": row.wrongly_released,
        "over_held": row.over_held,
        "other_misses": row.other_misses,
    }


def report_json(result: Tally, source: str) -> dict[str, Any]:
    return {
        "set": source,
        "classes": [_class_json(row) for row in result.classes],
        "total": _class_json(result.total),
        "summary": summary_line(result),
        "misses": [
            {
                "id": miss.case.id,
                "class": miss.case.class_name,
                "verdict": miss.verdict.value,
                "route": miss.route.name,
                "accept": accepted_names(miss),
                "why": miss.case.why,
                "reasons": list(miss.reasons),
            }
            for miss in result.total.misses
        ],
    }
