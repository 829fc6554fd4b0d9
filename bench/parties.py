"""Party-screening benchmark: checks per second on one core against the bundled lists plus generated
entries, with the cache (skewed, repeated parties) and cold (every check computed), index build time
and memory. Prints the median of several runs.

    .venv/bin/python bench/parties.py [--entries 50000] [--checks 50000] [--runs 5]
"""

# ruff: noqa: S311 - seeded generators make reproducible workloads, not secrets

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.parties.model import ListEntry, PartyList
from pipeline.enrichment.parties.screener import PartyScreener, load_party_list
from pipeline.enrichment.parties.status import StatusCalendar
from pipeline.settings import Settings

AS_OF = date(2026, 8, 1)


def _words(text: str) -> list[str]:
    return text.split()


SYLLABLES = _words(
    "ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu me mo ya yu yo "
    "ra ri ru re ro wa an el or is ex ar on in us ol ur ax"
)
COMMON = _words(
    "heavy industries systems technology technologies aerospace defense marine electric engineering "
    "solutions holdings group international global advanced dynamics research precision"
)
FORMS = ["Co., Ltd.", "Inc.", "Corporation", "LLC", "GmbH", "K.K.", "Ltd.", "S.A.", ""]
HAN = "中华国际科技航空海洋电子工业重机械精密光学动力系统信息技术发展控股材料能源电气通用先进"
COUNTRIES = ["US", "JP", "DE", "FR", "GB", "KR", "TW", "IT", "NL", "CZ", "PL", "IL", "IN", "SG", "AE"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def generated_entries(count: int, seed: int = 7) -> list[ListEntry]:
    rng = random.Random(seed)
    entries = []
    for number in range(count):
        words = [_word(rng) for _ in range(rng.randint(1, 2))] + rng.sample(COMMON, rng.randint(0, 2))
        name = " ".join([*words, rng.choice(FORMS)]).strip()
        aliases = (
            ("".join(rng.choice(HAN) for _ in range(rng.randint(3, 6))) + "公司",)
            if rng.random() < 0.3
            else ()
        )
        entries.append(
            ListEntry(
                entry_id=f"GEN-{number:06d}",
                list_name="generated",
                program=rng.choice(["OWN-DENY", "OWN-REVIEW"]),
                name=name,
                aliases=aliases,
                country=rng.choice(COUNTRIES),
                entity_type="Company",
                listed_from=date(2024, 1, 1),
            )
        )
    return entries


def query_pool(entries: list[ListEntry], size: int, seed: int = 11) -> list[PartyFacts]:
    """Distinct parties: listed names and variants of them, and unlisted names (most parties are clean)."""
    rng = random.Random(seed)
    pool: list[PartyFacts] = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.2:
            entry = rng.choice(entries)
            name = rng.choice(entry.names)
            if rng.random() < 0.5:
                name = name.upper()
            pool.append(PartyFacts("consignee", name, entry.country or "US"))
        else:
            words = [_word(rng) for _ in range(rng.randint(1, 3))] + rng.sample(COMMON, rng.randint(0, 2))
            pool.append(
                PartyFacts("consignee", " ".join([*words, rng.choice(FORMS)]).strip(), rng.choice(COUNTRIES))
            )
    return pool


def skewed(pool: list[PartyFacts], count: int, seed: int = 13) -> list[PartyFacts]:
    """Zipf-like draw: a few parties (regular customers) account for most checks."""
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(pool))]
    return rng.choices(pool, weights=weights, k=count)


def _rss_mib() -> float:
    with Path("/proc/self/statm").open() as handle:
        resident_pages = int(handle.read().split()[1])
    return resident_pages * 4096 / 2**20


def run(entries: int, checks: int) -> dict[str, float]:
    bundled = load_party_list(Settings().party_list_files)
    calendar = StatusCalendar.load(Settings().party_status_file)
    all_entries = list(bundled.entries) + generated_entries(entries)
    party_list = PartyList.of(all_entries)
    gc.collect()
    rss_before = _rss_mib()
    started, cpu_started = time.perf_counter(), time.process_time()
    screener = PartyScreener(party_list, calendar=calendar)
    build_s, build_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    gc.collect()
    rss_after = _rss_mib()
    pool = query_pool(all_entries, 20_000)
    workload = skewed(pool, checks)
    screener.matcher.clear_cache()
    started, cpu_started = time.perf_counter(), time.process_time()
    hits = sum(len(screener.screen([party], AS_OF)) for party in workload)
    warm_s, warm_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    cold = pool[:5000]
    started, cpu_started = time.perf_counter(), time.process_time()
    for party in cold:
        screener.matcher.match(party.name, party.country, use_cache=False)
    cold_s, cold_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    info = screener.matcher.cache_info()
    return {
        "entries": float(len(party_list)),
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "index_mib": rss_after - rss_before,
        "cached_checks_per_s": checks / warm_s,
        # Per CPU-second of the one thread: the one-core figure when other processes share the machine.
        "cached_checks_per_cpu_s": checks / warm_cpu_s,
        "cache_hit_ratio": info.hits / max(info.hits + info.misses, 1),
        "cold_checks_per_s": len(cold) / cold_s,
        "cold_checks_per_cpu_s": len(cold) / cold_cpu_s,
        "cold_p_ms": 1000 * cold_s / len(cold),
        "hits_per_check": hits / checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--checks", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = [run(args.entries, args.checks) for _ in range(args.runs)]
    median = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(json.dumps({"runs": args.runs, "checks": args.checks, "median": median}, indent=2))


if __name__ == "__main__":
    main()
