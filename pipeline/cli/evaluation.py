"""`screening eval [--set FILE] [--json]`: the evaluation set through the real screener, broker-free."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.settings import load_settings

# Exit codes: 0 no wrongful release, 1 at least one, 2 the set or the reference data was refused.
EXIT_WRONGLY_RELEASED = 1
EXIT_REFUSED = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from pipeline.evaluation.cases import DEFAULT_SET

    evaluate = subparsers.add_parser(
        "eval",
        help="screen the evaluation set offline and count wrongful releases and over-holds per class",
    )
    evaluate.add_argument(
        "--set", dest="set_file", type=Path, default=DEFAULT_SET, help="cases, one JSON object per line"
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=_eval)


def _eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.enrichment.parties.errors import ListFileError
    from pipeline.enrichment.party_master import PartyMasterError
    from pipeline.enrichment.products import ProductMasterError
    from pipeline.evaluation.cases import EvalSetError, load_cases
    from pipeline.evaluation.render import print_report, report_json
    from pipeline.evaluation.run import build_eval_screener, run_cases
    from pipeline.evaluation.tally import tally
    from pipeline.rules.errors import RulePackError

    try:
        cases = load_cases(args.set_file)
        screener = build_eval_screener(load_settings())
    except (EvalSetError, RulePackError, ProductMasterError, PartyMasterError, ListFileError, OSError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED
    result = tally(run_cases(cases, screener))
    if args.json:
        print(json.dumps(report_json(result, str(args.set_file)), ensure_ascii=False, indent=2))
    else:
        print_report(result, Console(), title=f"screening eval: {args.set_file.name}")
    return EXIT_WRONGLY_RELEASED if result.wrongful_releases else 0
