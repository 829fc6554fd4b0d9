"""Per-record cost of intake (`parse_order`) and of end-use classification, without Kafka.

Intake runs on the `make bench` order mix. End-use classification runs on distinct texts built from
routine and sensitive phrases, so every call misses the classifier's cache (the worst case; order
streams repeat their texts and mostly hit it). CPU time of this process (`time.process_time`).

Usage: python bench/intake_end_use.py [--orders N] [--texts T] [--runs R]; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.orders import OrderMix
from pipeline.enrichment.end_use import EndUseClassifier
from pipeline.intake import parse_order
from pipeline.settings import load_settings
from schemas.order import EndUse

PHRASES = (
    "manufacture of consumer electronics",
    "production of solar panels",
    "battery assembly for electric vehicles",
    "components for military aircraft",
    "用于汽车零部件生产",
    "半導体製造装置の保守",
    "not for military use, civilian cars",
    "infrared lens blanks for automotive night vision",
    "research at a university laboratory",
    "hospital equipment",
    "gas centrifuges for uranium enrichment",
    "7 nm logic wafer fab",
    "不用于军事用途",
    "軍事目的ではない",
)


def _median_us(work: Callable[[], float], runs: int) -> tuple[float, list[float]]:
    per_item = [work() for _ in range(runs)]
    return round(statistics.median(per_item), 1), [round(us, 1) for us in per_item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    mix = OrderMix(load_settings().party_list_files[0])
    now = datetime.now(UTC)
    records = [mix.encoded(i, f"bench-{i}", now) for i in range(args.orders)]

    def parse_all() -> float:
        started = time.process_time()
        for raw in records:
            parse_order(raw)
        return 1e6 * (time.process_time() - started) / len(records)

    rng = random.Random(7)  # noqa: S311 - reproducible bench texts, not security
    texts = [f"{rng.choice(PHRASES)}, {rng.choice(PHRASES)} (order {i})" for i in range(args.texts)]

    def classify_all() -> float:
        # A new classifier per run: an empty cache, so every text is classified.
        classifier = EndUseClassifier.load()
        started = time.process_time()
        for text in texts:
            classifier.classify(EndUse(code="civil", description=text))
        return 1e6 * (time.process_time() - started) / len(texts)

    started = time.process_time()
    EndUseClassifier.load()
    load_ms = 1e3 * (time.process_time() - started)
    parse_median, parse_runs = _median_us(parse_all, args.runs)
    classify_median, classify_runs = _median_us(classify_all, args.runs)
    result = {
        "runs": args.runs,
        "parse_order_us": parse_median,
        "parse_order_us_runs": parse_runs,
        "classify_uncached_us": classify_median,
        "classify_uncached_us_runs": classify_runs,
        "classifier_load_ms": round(load_ms, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
