"""Rule-engine throughput on one core: generated orders of five lines, party matching excluded.

Usage: python bench/engine.py [--orders N] [--runs R] [--seed S]

Orders are enriched once up front (product master lookups, no party screening); the timed loop is
`evaluate` alone, then `evaluate` plus building the decision record, each as the median of R runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.decisions.record import build_decision
from pipeline.enrichment.enrich import Enricher
from pipeline.enrichment.enriched import EndUseFacts, EnrichedOrder, PartyFacts, PartyHit
from pipeline.enrichment.products import ProductMaster
from pipeline.rules.engine import evaluate
from pipeline.rules.loader import load_pack
from pipeline.settings import BUNDLED_DATA
from schemas.order import EndUse, OrderEvent, Party

TARGET = 20_000
DESTINATIONS = ["DE", "US", "JP", "SG", "KR", "FR", "IN", "VN", "MX", "GB"]
END_USES = [("civil",), ("civil",), ("civil",), ("military",), ("humanitarian.medical",), ()]
# Direct line classifications, besides product-master SKUs: controlled and not.
DIRECT: list[dict[str, object]] = [
    {"control_code": "1A225"},
    {"control_code": "1C902.b"},
    {"control_code": "3C004.a"},
    {"hs_code": "8454301010"},
    {"hs_code": "8471300000"},
    {"hs_code": "9403600000"},
    {"hs_code": "6109100000"},
    {"tech_entry": "203912X"},
    {"origin_country": "DE", "cn_rare_earth_share": 0.02, "hs_code": "8501520000"},
]


def generate(count: int, seed: int, products: ProductMaster) -> list[OrderEvent]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    skus = sorted(products.products)
    start = date(2025, 1, 1)
    orders = []
    for n in range(count):
        destination = rng.choice(DESTINATIONS)
        lines = []
        for i in range(5):
            extra = {"sku": rng.choice(skus)} if rng.random() < 0.6 else dict(rng.choice(DIRECT))
            lines.append(
                {
                    "line_id": str(i + 1),
                    "description": f"item {i}",
                    "quantity": rng.randint(1, 500),
                    "unit": "kg",
                    "value": round(rng.uniform(10, 50_000), 2),
                    "currency": "USD",
                    **extra,
                }
            )
        ship = start + timedelta(days=rng.randint(0, 900))
        orders.append(
            OrderEvent.model_validate(
                {
                    "order_id": f"bench-{n}",
                    "event_time": f"{ship.isoformat()}T08:00:00+00:00",
                    "ship_date": ship.isoformat(),
                    "exporter": {"name": "Exporter Co", "country": "CN"},
                    "consignee": {"name": f"Consignee {n % 97}", "country": destination},
                    "end_user": {"name": f"End User {n % 89}", "country": rng.choice([destination, "JP"])},
                    "destination_country": destination,
                    "end_use": {"description": "declared"},
                    "lines": lines,
                }
            )
        )
    return orders


class NoPartyMaster:
    """Party facts straight from the order: party matching is excluded from this benchmark."""

    version = "bench"

    def facts(self, role: str, party: Party) -> PartyFacts:
        return PartyFacts(role=role, name=party.name, country=party.country)


class NoPartyLists:
    version = "bench"

    def screen(self, parties: Sequence[PartyFacts], as_of: date) -> tuple[PartyHit, ...]:  # noqa: ARG002
        return ()


def enrich_all(orders: list[OrderEvent], products: ProductMaster, seed: int) -> list[EnrichedOrder]:
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible test data, not secrets

    def classify(
        end_use: EndUse,  # noqa: ARG001
        end_user: PartyFacts | None,  # noqa: ARG001
        other_parties: tuple[PartyFacts, ...] = (),  # noqa: ARG001
    ) -> EndUseFacts:
        classes = rng.choice(END_USES)
        return EndUseFacts(declared=bool(classes), classes=frozenset(classes))

    enricher = Enricher(
        products=products,
        party_master=NoPartyMaster(),
        party_screener=NoPartyLists(),
        classify_end_use=classify,
    )
    return [enricher.enrich(order) for order in orders]


def timed(label: str, runs: int, count: int, work: Callable[[], object]) -> float:
    """Median orders per CPU second of this process (one core; robust to other load on the host),
    with the wall-clock median alongside."""
    cpu_rates, wall_rates = [], []
    for _ in range(runs):
        cpu, wall = time.process_time(), time.perf_counter()
        work()
        cpu_rates.append(count / (time.process_time() - cpu))
        wall_rates.append(count / (time.perf_counter() - wall))
    median = statistics.median(cpu_rates)
    spread = ", ".join(f"{r:,.0f}" for r in cpu_rates)
    print(
        f"{label}: median {median:,.0f} orders/s per CPU second over {runs} runs ({spread}); "
        f"wall-clock median {statistics.median(wall_rates):,.0f} orders/s"
    )
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()

    pack = load_pack(BUNDLED_DATA / "rules" / "china.yaml")
    products = ProductMaster.load(BUNDLED_DATA / "master" / "products.yaml")
    enriched = enrich_all(generate(args.orders, args.seed, products), products, args.seed)
    findings = [evaluate(order, pack) for order in enriched]
    per_order = statistics.mean(len(f) for f in findings)
    print(
        f"{pack.version_label}: {len(pack.rules)} rules; {args.orders} orders x 5 lines; "
        f"{per_order:.2f} findings per order"
    )

    def evaluate_all() -> None:
        for order in enriched:
            evaluate(order, pack)

    def evaluate_and_decide() -> None:
        for order in enriched:
            build_decision(order, evaluate(order, pack), rules_version=pack.version_label)

    rate = timed("evaluate", args.runs, args.orders, evaluate_all)
    timed("evaluate + decision record", args.runs, args.orders, evaluate_and_decide)
    verdict = "met" if rate >= TARGET else "missed"
    print(f"target {TARGET:,} orders/s per core for evaluation: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
