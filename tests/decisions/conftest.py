"""Decisions as the worker makes them, for the tests that pin the fast paths against pydantic's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.orders import OrderMix
from pipeline.evaluation.cases import DEFAULT_SET, load_cases
from pipeline.intake import parse_order
from pipeline.reference.store import LiveScreener, ReferenceStore
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent

Screened = tuple[tuple[OrderEvent, DecisionRecord], ...]

HOLDOUT_SET = DEFAULT_SET.with_name("holdout.jsonl")
BENCH_ORDERS = 300


@pytest.fixture(scope="session")
def screened() -> Screened:
    """Every eval and hold-out order and the bench mix, screened as the worker screens them."""
    settings = Settings()
    screener = LiveScreener(ReferenceStore(settings))
    orders = [case.order for path in (DEFAULT_SET, HOLDOUT_SET) for case in load_cases(path)]
    mix = OrderMix(settings.party_list_files[0])
    now = datetime.now(UTC)
    for i in range(BENCH_ORDERS):
        parsed = parse_order(mix.encoded(i, f"bench-{i}", now))
        assert isinstance(parsed, OrderEvent)
        orders.append(parsed)
    return tuple((order, screener.screen(order)) for order in orders)
