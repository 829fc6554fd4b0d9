"""Realistic orders for the benchmark: a controlled/uncontrolled item mix and Zipf-skewed parties.

Real order streams repeat a few customers often and many rarely, so counterparties are drawn from a
pool with Zipf weights (rank k has weight 1/k^s). Listed names come from the configured party-list
file; the rest are generated company names. Orders are built once as templates, and each send only
stamps its order id and event time, so the producer stays far cheaper than the worker.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from soak.orders import ITEMS, listed_names, order_line

Order = dict[str, Any]

_COUNTRIES = ("DE", "JP", "FR", "KR", "US", "BR", "IN", "VN", "NL", "IT", "GB", "MY", "TH", "MX", "AE")
_STEMS = ("Nordic", "Pacific", "Atlas", "Delta", "Orion", "Summit", "Harbor", "Vega", "Kestrel", "Lumen")
_TRADES = ("Alloys", "Ceramics", "Electronics", "Materials", "Batteries", "Metals", "Optics", "Tools")
_FORMS = ("GmbH", "Ltd", "Inc", "SA", "KK", "BV", "SRL", "Pte Ltd", "LLC")
_END_USES: tuple[dict[str, str], ...] = (
    {"code": "civil", "description": "manufacture of consumer electronics"},
    {"description": "production of solar panels"},
    {"description": "battery assembly for electric vehicles"},
    {"description": "components for military aircraft"},
    {},
)


@dataclass(frozen=True, slots=True)
class MixShape:
    """The knobs of the order mix; the defaults are what BENCHMARKS.md reports."""

    templates: int = 2_000
    pool_size: int = 1_000
    zipf_exponent: float = 1.1
    listed_share: float = 0.05
    max_lines: int = 5


def zipf_weights(count: int, exponent: float) -> list[float]:
    """Weights of ranks 1..count under Zipf's law; rank 1 is the most frequent."""
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]


def generated_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(name, country) of unlisted counterparties, distinct and deterministic for a seed."""
    combos = list(itertools.product(_STEMS, _TRADES, _FORMS))
    rng.shuffle(combos)
    names: list[tuple[str, str]] = []
    for i in range(count):
        stem, trade, form = combos[i % len(combos)]
        suffix = f" {i // len(combos) + 1}" if i >= len(combos) else ""
        names.append((f"{stem} {trade}{suffix} {form}", rng.choice(_COUNTRIES)))
    return names


class OrderMix:
    """A fixed set of order templates; `order(...)` stamps one with an id and an event time."""

    def __init__(self, party_list: Path, *, seed: int = 11, shape: MixShape | None = None) -> None:
        self.shape = shape or MixShape()
        rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
        listed = listed_names(party_list, limit=200)
        unlisted = generated_names(self.shape.pool_size, rng)
        # Listed names are interleaved into the ranked pool so some are frequent and some rare.
        pool = list(unlisted)
        for name in listed:
            pool.insert(rng.randrange(len(pool) + 1), name)
        weights = zipf_weights(len(pool), self.shape.zipf_exponent)
        self._templates = [self._template(rng, pool, weights, listed) for _ in range(self.shape.templates)]

    def _template(
        self,
        rng: random.Random,
        pool: list[tuple[str, str]],
        weights: list[float],
        listed: list[tuple[str, str]],
    ) -> Order:
        name, country = rng.choices(pool, weights)[0]
        if listed and rng.random() < self.shape.listed_share:
            name, country = rng.choice(listed)
        return {
            "order_id": "",
            "revision": 1,
            "event_time": "",
            "exporter": {"party_id": "EXP-1", "name": "Hunan Nonferrous Trading Co Ltd", "country": "CN"},
            "consignee": {"name": name, "country": country},
            "end_user": {"name": name, "country": country},
            "destination_country": country,
            "end_use": rng.choice(_END_USES),
            "lines": [
                order_line(rng.choice(ITEMS), rng, n) for n in range(rng.randint(1, self.shape.max_lines))
            ],
        }

    def order(self, index: int, order_id: str, event_time: datetime) -> Order:
        template = self._templates[index % len(self._templates)]
        return {**template, "order_id": order_id, "event_time": event_time.isoformat()}

    def encoded(self, index: int, order_id: str, event_time: datetime | None = None) -> bytes:
        when = event_time or datetime.now(UTC)
        return json.dumps(self.order(index, order_id, when), separators=(",", ":")).encode("utf-8")
