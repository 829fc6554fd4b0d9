"""`screening parties check NAME... | eval | lint`: party screening from the command line."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from pipeline.settings import BUNDLED_DATA, load_settings

if TYPE_CHECKING:
    from pipeline.enrichment.parties.screener import PartyScreener

# Hand-written cases (names in other scripts, abbreviations, hard negatives), shipped with the package.
EVAL_FILE = BUNDLED_DATA / "parties" / "party_eval.csv"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parties = subparsers.add_parser("parties", help="screen names against the party lists, evaluate matching")
    actions = parties.add_subparsers(dest="action", required=True, metavar="ACTION")

    check = actions.add_parser("check", help="screen names and print every hit with its explanation")
    check.add_argument("names", nargs="+", help="party names, any script")
    check.add_argument("--country", default="", help="ISO alpha-2 country of the party")
    check.add_argument("--as-of", type=date.fromisoformat, default=None, help="date (default: today)")
    check.add_argument("--list", dest="lists", type=Path, action="append", help="list file (repeatable)")
    check.set_defaults(handler=_check)

    evaluate = actions.add_parser("eval", help="precision and recall per script on the labelled set")
    evaluate.add_argument("--cases", type=Path, default=EVAL_FILE, help="hand-written cases CSV")
    evaluate.add_argument("--misses", action="store_true", help="print every miss")
    evaluate.set_defaults(handler=_eval)

    lint = actions.add_parser("lint", help="load the configured list files; exit 1 with file:line on errors")
    lint.set_defaults(handler=_lint)


def _screener(lists: list[Path] | None = None) -> PartyScreener:
    from pipeline.enrichment.parties.screener import load_party_screener

    settings = load_settings()
    if lists:
        settings = dataclasses.replace(settings, party_list_files=tuple(lists))
    return load_party_screener(settings)


def _check(args: argparse.Namespace) -> int:
    from pipeline.enrichment.enriched import PartyFacts

    screener = _screener(args.lists)
    as_of = args.as_of or date.today()  # noqa: DTZ011 - a calendar date for the operator's own check
    table = Table("Name", "Listed name", "Program", "Score", "Strength", "Status", "Matched")
    for name in args.names:
        hits = screener.screen([PartyFacts("check", name, args.country.upper())], as_of)
        if not hits:
            table.add_row(name, "-", "-", "-", "no match", "-", "-")
        for hit in hits:
            table.add_row(
                name, hit.listed_name, hit.program, f"{hit.score:.3f}", hit.strength, hit.status, hit.matched
            )
    console = Console()
    console.print(table)
    console.print(f"lists {screener.version}, as of {as_of}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from pipeline.enrichment.parties.evaluation import evaluate, generate_cases, load_cases

    screener = _screener()
    cases = generate_cases(screener.party_list.entries) + load_cases(args.cases)
    console = Console()
    for label, threshold in (
        ("potential", screener.potential_threshold),
        ("strong", screener.strong_threshold),
    ):
        figures, misses = evaluate(screener.matcher, screener.index.normaliser, cases, threshold)
        table = Table(
            "Script", "Positives", "Negatives", "Precision", "Recall", title=f"{label} >= {threshold}"
        )
        for result in figures.values():
            table.add_row(
                result.script,
                str(result.positives),
                str(result.negatives),
                f"{result.precision:.3f}",
                f"{result.recall:.3f}",
            )
        console.print(table)
        if args.misses:
            for case, why in misses:
                console.print(f"  {case.script} {case.kind}: {case.query!r} -> {case.expected!r}: {why}")
    return 0


def _lint(args: argparse.Namespace) -> int:  # noqa: ARG001 - uniform handler signature
    from pipeline.enrichment.parties.errors import ListFileError

    try:
        screener = _screener()
    except ListFileError as exc:
        Console(stderr=True).print(f"refused: {exc}")
        return 1
    Console().print(f"{len(screener.party_list)} entries, version {screener.version}")
    return 0
