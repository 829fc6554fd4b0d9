"""The `screening` command. Each stage registers its own subcommands.

A stage module listed in COMMAND_MODULES exposes `register(subparsers)`, which adds its subcommands
and sets `handler` (taking the parsed namespace, returning an exit code) on each. Modules are imported
when the command runs, so `screening --help` stays quick and faust loads only for the worker.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, cast

COMMAND_MODULES: tuple[str, ...] = (
    "pipeline.commands",
    "pipeline.console_commands",
    "pipeline.reliability_commands",
    "pipeline.rules_commands",
    "pipeline.reference_commands",
    "pipeline.parties_commands",
    "pipeline.eval_commands",
)


class _Registrar(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screening",
        description="Export-control screening of shipment orders on Apache Kafka.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = cast("_Registrar", importlib.import_module(name))
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("Callable[[argparse.Namespace], int]", args.handler)
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
