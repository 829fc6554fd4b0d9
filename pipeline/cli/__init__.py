"""The `screening` command: one module per command group, each with `register(subparsers)`.

A group's `register` adds its subcommands and sets `handler` (taking the parsed namespace, returning an
exit code) on each. Groups import their heavy modules inside the handlers, so `screening --help` stays
quick and faust loads only for the worker. A new group is a module here and one entry in
`COMMAND_GROUPS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import cast

from pipeline.cli import backbone, console, evaluation, parties, reference, reliability, rules

COMMAND_GROUPS = (backbone, console, reliability, rules, reference, parties, evaluation)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screening",
        description="Export-control screening of shipment orders on Apache Kafka.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("Callable[[argparse.Namespace], int]", args.handler)
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
