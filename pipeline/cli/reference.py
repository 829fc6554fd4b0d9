"""`screening reference load FILE... | show`: publish reference data to the compacted topics."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from pipeline.settings import load_settings
from schemas.reference import ReferenceKind


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reference = subparsers.add_parser("reference", help="publish reference data (rules, lists, licences)")
    actions = reference.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = actions.add_parser(
        "load", help="validate files and publish each to reference.<kind>; workers swap them in"
    )
    load.add_argument("files", type=Path, nargs="+", metavar="FILE")
    load.add_argument(
        "--kind",
        choices=[kind.value for kind in ReferenceKind],
        help="data set of every FILE (default: told from the file name)",
    )
    load.add_argument(
        "--no-check",
        action="store_true",
        help="publish without validating here (the workers still validate and refuse bad data)",
    )
    load.add_argument(
        "--confirm-shrink",
        action="store_true",
        help="accept a party list that drops more entries than the shrink limit (else quarantined)",
    )
    load.set_defaults(handler=_load)


def _load(args: argparse.Namespace) -> int:
    from pipeline.kafka.reference import publish
    from pipeline.reference.envelope import ReferenceFileError, envelope_for
    from pipeline.reference.snapshot import ReferenceRefusedError, build_snapshot

    console = Console()
    settings = load_settings()
    try:
        kind = ReferenceKind(args.kind) if args.kind else None
        envelopes = [envelope_for(path, kind) for path in args.files]
    except ReferenceFileError as exc:
        console.print(f"[red]refused:[/red] {exc}")
        return 2
    if args.confirm_shrink:
        envelopes = [envelope.model_copy(update={"confirmed_shrink": True}) for envelope in envelopes]
    kinds = [envelope.kind for envelope in envelopes]
    if len(set(kinds)) != len(kinds):
        console.print("[red]refused:[/red] one file per kind (each topic keeps one version per kind)")
        return 2
    if not args.no_check:
        try:
            build_snapshot(settings, {envelope.kind: envelope for envelope in envelopes})
        except ReferenceRefusedError as exc:
            console.print(f"[red]refused:[/red] {exc}")
            return 1
    publish(settings, envelopes)
    for envelope in envelopes:
        topic = settings.topics.reference(envelope.kind.value)
        console.print(f"{envelope.source}: {envelope.kind} {envelope.version} -> {topic}")
    return 0
