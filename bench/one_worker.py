"""One screening worker at saturation only: what a change to the worker costs per order.

The smallest end-to-end measurement: the `make bench` pipeline session with one worker (same order
mix, bundled list plus 50,000 generated entries, fresh topics), saturation bursts only, no latency
sweep. Prints orders per worker CPU-second per burst and their median; on a shared host compare
that figure between runs, not orders/s. Run it on each side of a change against the same broker.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

from bench.list_generator import write_list
from bench.orders import OrderMix
from bench.profiling import summarize_collapsed
from bench.suite import RUN_DIR, Sizes, _session
from bench.workers import WorkerKind
from pipeline.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.one_worker", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="saturation bursts")
    parser.add_argument("--orders", type=int, default=2_000, help="orders per burst")
    parser.add_argument(
        "--kind", type=WorkerKind, default=WorkerKind.PIPELINE, choices=list(WorkerKind), help="worker to run"
    )
    parser.add_argument(
        "--worker-env", action="append", default=[], metavar="NAME=VALUE", help="extra worker environment"
    )
    parser.add_argument("--profile", type=Path, help="also sample one burst with py-spy into this file")
    parser.add_argument(
        "--load", type=float, action="append", default=[], help="offered orders/s for a latency point"
    )
    args = parser.parse_args(argv)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    base = replace(load_settings(), log_level="WARNING")
    big_list = write_list(RUN_DIR / "party-list-50k.csv", 50_000)
    settings = replace(base, party_list_files=(*base.party_list_files, big_list))
    sizes = Sizes(saturation_orders=args.orders, repeats=args.runs)
    mix = OrderMix(base.party_list_files[0])
    result = _session(
        args.kind,
        1,
        settings=settings,
        mix=mix,
        sizes=sizes,
        loads=tuple(args.load),
        profile_path=args.profile,
        worker_env=dict(item.split("=", 1) for item in args.worker_env),
    )
    per_cpu_s = [run["orders_per_cpu_s"] for run in result.saturation]
    median = statistics.median(per_cpu_s)
    print(f"orders per worker CPU-second: median {median:.1f} ({', '.join(map(str, per_cpu_s))})")
    print(f"worker CPU per order: {1000 / median:.2f} ms")
    print(
        f"RSS per worker after warm-up {result.rss_after_warmup_mb} MB, "
        f"peak {result.peak_rss_mb} MB after {result.orders_handled:,} orders"
    )
    if args.profile is not None and args.profile.exists():
        summary = summarize_collapsed(args.profile.read_text(), top=25)
        for name, share in summary.get("inclusive_pct", []):
            print(f"   {share:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
