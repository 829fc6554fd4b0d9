"""The benchmark's order mix: valid orders, a controlled/uncontrolled mix, Zipf-skewed parties."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from bench.orders import MixShape, OrderMix, zipf_weights
from pipeline.settings import Settings
from schemas.order import OrderEvent
from soak.orders import listed_names

SHAPE = MixShape(templates=400, pool_size=200)


@pytest.fixture(scope="module")
def mix() -> OrderMix:
    return OrderMix(Settings().party_list_files[0], shape=SHAPE)


def test_every_order_passes_the_order_contract(mix: OrderMix) -> None:
    when = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    orders = [
        OrderEvent.model_validate_json(mix.encoded(i, f"bench-{i}", when)) for i in range(SHAPE.templates)
    ]
    assert [o.order_id for o in orders[:2]] == ["bench-0", "bench-1"]
    assert {o.event_time for o in orders} == {when}


def test_mix_has_controlled_and_uncontrolled_lines(mix: OrderMix) -> None:
    lines = [ln for i in range(SHAPE.templates) for ln in mix.order(i, "x", datetime.now(UTC))["lines"]]
    coded = sum(1 for ln in lines if "control_code" in ln or "hs_code" in ln)
    assert 0 < coded < len(lines)
    assert any(ln["description"].startswith("Cotton") for ln in lines)
    assert any(ln["description"].startswith("Gallium") for ln in lines)


def test_parties_repeat_with_a_skew_and_include_listed_names(mix: OrderMix) -> None:
    consignees = Counter(
        mix.order(i, "x", datetime.now(UTC))["consignee"]["name"] for i in range(SHAPE.templates)
    )
    top_share = consignees.most_common(1)[0][1] / SHAPE.templates
    assert top_share > 0.05  # a uniform draw over 200+ names would give about 0.005
    assert len(consignees) > 20
    listed = {name for name, _ in listed_names(Settings().party_list_files[0], 200)}
    assert listed & set(consignees)


def test_zipf_weights_fall_with_rank() -> None:
    weights = zipf_weights(4, 1.0)
    assert weights == [1.0, 0.5, 1 / 3, 0.25]
