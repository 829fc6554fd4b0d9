"""The filtered queue as CSV, safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-`, `@` (or a tab or carriage return, which some spreadsheets
skip before reading a formula) is prefixed with `'`, so it shows as text and never runs (OWASP's
advice on CSV injection). Order ids and party names come from outside, so every cell is treated so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pipeline.console.queue_page import sla_state
from pipeline.holds.queue import HoldSummary

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "order_id",
    "held_since",
    "age",
    "sla",
    "why",
    "rules",
    "outcomes",
    "destination",
    "parties",
    "claimed_by",
    "approvals",
    "escalated",
    "decision_id",
)


def safe_cell(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def queue_csv(rows: Iterable[tuple[HoldSummary, str | None]], sla_seconds: float) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row, assignee in rows:
        cells = (
            row.order_id,
            row.held_since.isoformat(),
            row.age,
            sla_state(row.age_seconds, sla_seconds) or "ok",
            row.headline,
            "; ".join(row.rules),
            "; ".join(row.outcomes),
            row.destination,
            "; ".join(row.parties),
            assignee or "",
            "; ".join(row.approvals),
            "yes" if row.escalated else "no",
            row.decision_id,
        )
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()
