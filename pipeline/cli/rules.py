"""`screening rules check`, `screening screen` (offline, no Kafka) and `screening schemas export`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from pipeline.settings import Settings, load_settings

SCHEMA_MODELS: dict[str, str] = {
    "order.json": "schemas.order:OrderEvent",
    "decision.json": "schemas.decision:DecisionRecord",
    "rulepack.json": "schemas.rulepack:RulePack",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = subparsers.add_parser("rules", help="validate rule packs and run their examples")
    actions = rules.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate a rule pack and run every rule's example cases")
    check.add_argument("--rules", type=Path, help="rule pack file (default: the bundled China pack)")
    check.add_argument("--verbose", "-v", action="store_true", help="list passing examples too")
    check.set_defaults(handler=_rules_check)

    screen = subparsers.add_parser("screen", help="screen a JSONL file of orders offline, without Kafka")
    screen.add_argument("--input", type=Path, required=True, help="orders, one JSON object per line")
    screen.add_argument("--output", type=Path, required=True, help="decisions, one JSON object per line")
    screen.add_argument("--as-of", type=date.fromisoformat, help="screen as of this date (YYYY-MM-DD)")
    screen.add_argument("--rules", type=Path, help="rule pack file")
    screen.add_argument("--parties", type=Path, action="append", help="party-list file (repeatable)")
    screen.add_argument("--products", type=Path, help="product master file")
    screen.set_defaults(handler=_screen)

    schemas = subparsers.add_parser("schemas", help="JSON Schemas of the order, decision and rule pack")
    schema_actions = schemas.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = schema_actions.add_parser("export", help="write the JSON Schemas into a directory")
    export.add_argument("dir", type=Path)
    export.set_defaults(handler=_schemas_export)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    changes: dict[str, Any] = {}
    if getattr(args, "rules", None):
        changes["rules_file"] = args.rules
    if getattr(args, "parties", None):
        changes["party_list_files"] = tuple(args.parties)
    if getattr(args, "products", None):
        changes["products_file"] = args.products
    return dataclasses.replace(settings, **changes)


def _rules_check(args: argparse.Namespace) -> int:
    from pipeline.rules.errors import RulePackError
    from pipeline.rules.examples import run_examples
    from pipeline.rules.loader import load_pack

    path = _settings(args).rules_file
    try:
        pack = load_pack(path)
    except RulePackError as exc:
        print(exc, file=sys.stderr)
        return 1
    results = run_examples(pack)
    failed = [r for r in results if not r.passed]
    for result in results:
        if args.verbose or not result.passed:
            mark = "ok  " if result.passed else "FAIL"
            got = ", ".join(result.got) or "not_applicable"
            print(f"{mark} {result.rule_id}: {result.name}: expected {result.expected}, got {got}")
    rules_without = [r.id for r in pack.model.rules if not r.examples]
    print(
        f"{pack.version_label}: {len(pack.rules)} rules, {len(results)} examples, "
        f"{len(results) - len(failed)} passed, {len(failed)} failed"
    )
    if rules_without:
        print("rules without examples: " + ", ".join(rules_without))
    return 1 if failed or rules_without else 0


def _order_lines(handle: IO[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(handle, start=1):
        if text.strip():
            yield number, text


def _error_record(number: int, reason: str) -> dict[str, Any]:
    return {"line": number, "error": reason}


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "order"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def screen_file(source: Path, target: Path, settings: Settings, as_of: date | None) -> Counter[str]:
    """Screen every order line of `source` into `target`; returns counts by route and `error`."""
    from rich.progress import Progress

    from pipeline.screening import build_screener
    from schemas.order import OrderEvent

    screener = build_screener(settings)
    counts: Counter[str] = Counter()
    with source.open(encoding="utf-8") as counting:
        total = sum(1 for _ in counting)
    show = sys.stderr.isatty()
    with (
        source.open(encoding="utf-8") as handle,
        target.open("w", encoding="utf-8") as out,
        Progress(disable=not show, transient=True) as progress,
    ):
        task = progress.add_task("screening", total=total)
        for number, text in _order_lines(handle):
            progress.update(task, completed=number)
            try:
                order = OrderEvent.model_validate_json(text)
            except ValidationError as exc:
                record = _error_record(number, _validation_reason(exc))
                counts["error"] += 1
            else:
                decision = screener.screen(order, as_of=as_of)
                record = decision.model_dump(mode="json")
                counts[decision.route.value] += 1
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return counts


def _screen(args: argparse.Namespace) -> int:
    from pipeline.enrichment.products import ProductMasterError
    from pipeline.rules.errors import RulePackError

    try:
        counts = screen_file(args.input, args.output, _settings(args), args.as_of)
    except (RulePackError, ProductMasterError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    summary = ", ".join(f"{key}={counts[key]}" for key in ("hold", "license", "release", "error"))
    print(f"screened {sum(counts.values())} lines into {args.output}: {summary}", file=sys.stderr)
    return 0


def schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text, as committed under schemas/json/."""
    import importlib

    documents = {}
    for name, target in SCHEMA_MODELS.items():
        module_name, _, class_name = target.partition(":")
        model: type[BaseModel] = getattr(importlib.import_module(module_name), class_name)
        schema = model.model_json_schema(by_alias=True)
        documents[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return documents


def _schemas_export(args: argparse.Namespace) -> int:
    target: Path = args.dir
    target.mkdir(parents=True, exist_ok=True)
    for name, text in schema_documents().items():
        (target / name).write_text(text, encoding="utf-8")
        print(target / name)
    return 0
