"""The fault-free baseline: the same orders screened offline, one by one, with no broker involved."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from pipeline.screening import Screener, build_screener
from pipeline.settings import Settings
from schemas.decision import Route
from schemas.order import OrderEvent


def offline_baseline(
    settings: Settings, values: Iterable[bytes], screener: Screener | None = None
) -> dict[tuple[str, int], Route]:
    """Route per (order id, revision) for every record that is a valid order; malformed ones are skipped."""
    screener = screener or build_screener(settings)
    baseline: dict[tuple[str, int], Route] = {}
    for value in values:
        try:
            order = OrderEvent.model_validate_json(value)
        except ValidationError:
            continue
        baseline[(order.order_id, order.revision)] = screener.screen(order).route
    return baseline
