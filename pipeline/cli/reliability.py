"""`screening conservation mark|check`: prove a run lost nothing and released nothing it should hold."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from pipeline.audit.conservation import Backlog
from pipeline.settings import load_settings

# Nothing violated, but orders the workers still owe have no outcome yet: check again later.
PENDING_EXIT = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "conservation",
        help="check that every consumed order ended as one current decision or one dead letter",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    mark = actions.add_parser("mark", help="record where a run starts (end offsets of the topics now)")
    mark.add_argument("--out", type=Path, required=True, help="file to write the run mark to (JSON)")
    mark.set_defaults(handler=_mark)

    check = actions.add_parser(
        "check",
        help="read the run back and report the conservation counts "
        "(exit 0: holds, 1: something lost, duplicated, wrongly released or over-drawn, "
        f"{PENDING_EXIT}: only orders the workers still owe are without outcome)",
    )
    check.add_argument("--since", type=Path, help="run mark written by `conservation mark` (default: all)")
    check.add_argument("--wait", type=float, default=0.0, help="seconds to wait for stragglers")
    check.add_argument("--expect", type=int, help="number of order records the run produced")
    check.add_argument(
        "--baseline", action="store_true", help="also screen the run's orders offline and compare routes"
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=_check)


def _mark(args: argparse.Namespace) -> int:
    from pipeline.kafka.readback import mark_run

    mark = mark_run(load_settings())
    Path(args.out).write_text(json.dumps(mark.to_json(), indent=2) + "\n", encoding="utf-8")
    return 0


def _check(args: argparse.Namespace) -> int:
    from pipeline.audit.baseline import offline_baseline
    from pipeline.kafka.readback import ConservationProbe, RunMark

    settings = load_settings()
    mark = RunMark.from_json(json.loads(Path(args.since).read_text(encoding="utf-8"))) if args.since else None
    # The orders are kept to count over-drawn licences from the current releases.
    with ConservationProbe(settings, mark, keep_orders=True) as probe:
        report = probe.wait(expected=args.expect, timeout_s=args.wait)
        if args.baseline:
            report = probe.report(offline_baseline(settings, probe.order_values))
        unreadable = probe.unreadable
        group = _group(probe.backlog)
    if args.json:
        print(
            json.dumps(
                {**asdict(report), "unreadable": unreadable, "holds": report.holds, "group": group},
                indent=2,
            )
        )
    else:
        print(report.summary() + f" unreadable={unreadable}")
        if group is not None:
            drain = "draining" if group["draining"] else "no worker in it: nothing is pending"
            print(f"workers' group: {group['state']}, {drain}")
        print("routes: " + ", ".join(f"{k}={v}" for k, v in report.routes.items()))
        print("dead letters: " + ", ".join(f"{k}={v}" for k, v in report.dead_letter_reasons.items()))
        for label, examples in (
            ("lost", report.lost_examples),
            ("duplicated", report.duplicated_examples),
            ("wrongly released", report.wrongly_released_examples),
            ("pending", report.pending_examples),
            ("over-drawn", report.overdrawn_examples),
        ):
            if examples:
                print(f"{label}: {' '.join(examples)}")
    if report.violated or unreadable:
        return 1
    return PENDING_EXIT if report.pending else 0


def _group(backlog: Backlog | None) -> dict[str, str | bool] | None:
    """The workers' group as the check saw it, when some record had no outcome."""
    if backlog is None:
        return None
    return {"state": backlog.group_state, "draining": backlog.draining}
