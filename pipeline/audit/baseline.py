"""The fault-free baseline: the same orders screened offline, one by one, with no broker involved.

The screener is the one a worker builds from its configured files before any reference data is
published (`build_snapshot` with no envelopes): the rule engine plus party, party-master and end-use
enrichment. `build_screener` alone leaves party screening out and would hold every order.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.intake.parse import parse_order
from pipeline.reference.snapshot import build_snapshot
from pipeline.screening import Screener
from pipeline.settings import Settings
from schemas.decision import Route
from schemas.order import OrderEvent


def offline_baseline(
    settings: Settings, values: Iterable[bytes], screener: Screener | None = None
) -> dict[tuple[str, int], Route]:
    """Route per (order id, revision) for every record intake accepts; the ones it refuses are skipped."""
    screener = screener or build_snapshot(settings, {}).screener
    baseline: dict[tuple[str, int], Route] = {}
    for value in values:
        order = parse_order(value)
        if not isinstance(order, OrderEvent):
            continue
        baseline[(order.order_id, order.revision)] = screener.screen(order).route
    return baseline
