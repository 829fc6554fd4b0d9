"""`screening rules check`, `screening screen` and `screening schemas export` from the command line."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import pytest

from pipeline.cli import rules as rules_commands


def main(argv: Sequence[str]) -> int:
    """The `screening` command with only this module's subcommands registered."""
    parser = argparse.ArgumentParser(prog="screening")
    rules_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return cast("Callable[[argparse.Namespace], int]", args.handler)(args)


ORDER = {
    "order_id": "o-1",
    "event_time": "2026-03-01T09:00:00+00:00",
    "exporter": {"name": "Exporter Co", "country": "CN"},
    "consignee": {"name": "Consignee Co", "country": "DE"},
    "end_user": {"name": "End User Co", "country": "DE"},
    "destination_country": "DE",
    "end_use": {"description": "consumer electronics"},
    "lines": [
        {
            "line_id": "1",
            "sku": "HO-TARGET",
            "description": "Ho target",
            "quantity": 1,
            "unit": "kg",
            "value": 10,
            "currency": "EUR",
        }
    ],
}


def test_rules_check_passes_on_the_bundled_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check"]) == 0
    assert " 0 failed" in capsys.readouterr().out


def test_rules_check_refuses_a_broken_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: '1'\nname: x\npublished: 2026-01-01\nrules: []\n", encoding="utf-8")
    assert main(["rules", "check", "--rules", str(broken)]) == 1
    assert str(broken) in capsys.readouterr().err


def test_screen_writes_one_record_per_line_and_carries_on_after_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "orders.jsonl"
    later = {**ORDER, "order_id": "o-2", "ship_date": "2026-12-01"}
    source.write_text(
        "\n".join([json.dumps(ORDER), "{not json", json.dumps({**ORDER, "lines": []}), json.dumps(later)])
        + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "decisions.jsonl"
    assert main(["screen", "--input", str(source), "--output", str(target)]) == 0
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r.get("order_id") or r["line"] for r in records] == ["o-1", 2, 3, "o-2"]
    assert records[1]["error"]
    assert "lines" in records[2]["error"]
    # The holmium line is suspended by No. 70 on the first date and licensable after it lapses.
    outcomes = [{(r["rule_id"], r["outcome"]) for r in rec["reasons"]} for rec in (records[0], records[3])]
    assert ("cn-2025-57-rare-earths", "info") in outcomes[0]
    assert ("cn-2025-57-rare-earths", "licence_required") in outcomes[1]


def test_screen_as_of_overrides_the_order_date(tmp_path: Path) -> None:
    source = tmp_path / "orders.jsonl"
    source.write_text(json.dumps(ORDER) + "\n", encoding="utf-8")
    target = tmp_path / "decisions.jsonl"
    assert main(["screen", "--input", str(source), "--output", str(target), "--as-of", "2027-01-04"]) == 0
    (record,) = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert record["as_of"] == "2027-01-04"
    assert "cn-2025-57-rare-earths" in {
        r["rule_id"] for r in record["reasons"] if r["outcome"] == "licence_required"
    }


def test_schemas_export_writes_three_schemas(tmp_path: Path) -> None:
    assert main(["schemas", "export", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decision.json", "order.json", "rulepack.json"]
