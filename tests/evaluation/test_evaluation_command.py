"""`screening eval` end to end on a tiny set, through the real screener and the bundled data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main

CaseLine = Callable[..., str]

_CHAIRS = [
    {
        "line_id": "1",
        "description": "Office chairs",
        "hs_code": "94013100",
        "quantity": 40,
        "unit": "pcs",
        "value": 3200,
        "currency": "USD",
        "origin_country": "CN",
    }
]
_GALLIUM = [
    {
        "line_id": "1",
        "description": "Gallium metal 99.9999 %",
        "hs_code": "8112929010",
        "quantity": 10,
        "unit": "kg",
        "value": 5200,
        "currency": "USD",
        "origin_country": "CN",
    }
]
_CIVIL = {"code": "CIVIL", "description": "Office fit-out"}


def _set(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _chairs(case_line: CaseLine, case_id: str, accept: list[str], **fields: Any) -> str:
    return case_line(case_id, accept=accept, lines=_CHAIRS, end_use=_CIVIL, **fields)


def _gallium(case_line: CaseLine, case_id: str, accept: list[str], **fields: Any) -> str:
    # Gallium metal (No. 23/2023) for a civil use in 2026: a licence is the least the rules ask.
    civil = {"code": "CIVIL", "description": "LED chip production"}
    return case_line(case_id, accept=accept, lines=_GALLIUM, end_use=civil, **fields)


def test_all_cases_correct_exits_zero_with_a_table_per_class(
    tmp_path: Path, case_line: CaseLine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _set(tmp_path, _chairs(case_line, "chairs", ["RELEASE"], **{"class": "civil"}))

    code = main(["eval", "--set", str(path)])

    out = capsys.readouterr().out
    assert code == 0
    assert "civil" in out
    assert "total" in out
    assert "1 cases: 0 wrongly released, 0 over-held (0.0% of cases), 0 other misses" in out
    assert "no misses" in out


def test_a_wrongful_release_exits_one_and_lists_the_miss_with_its_reasons(
    tmp_path: Path, case_line: CaseLine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _set(
        tmp_path,
        _chairs(case_line, "chairs-said-hold", ["HOLD"], **{"class": "synthetic"}),
        _gallium(case_line, "gallium", ["LICENSE", "HOLD"], **{"class": "synthetic"}),
    )

    code = main(["eval", "--set", str(path), "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["total"]["cases"] == 2
    assert report["total"]["wrongly_released"] == 1
    (miss,) = report["misses"]
    assert miss["id"] == "chairs-said-hold"
    assert miss["verdict"] == "wrongly released"
    assert (miss["route"], miss["accept"]) == ("RELEASE", ["HOLD"])
    assert miss["why"]


def test_a_licence_where_only_hold_is_accepted_counts_as_wrongly_released(
    tmp_path: Path, case_line: CaseLine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _set(tmp_path, _gallium(case_line, "gallium-said-hold", ["HOLD"]))

    code = main(["eval", "--set", str(path)])

    out = capsys.readouterr().out
    assert code == 1
    assert "wrongly released gallium-said-hold (sample): got LICENSE, accepted HOLD" in out
    # The decision's own reasons are printed under the miss: the gallium rule that licensed it.
    assert "[licence_required] line 1" in out


def test_a_refused_set_exits_two_naming_file_and_line(
    tmp_path: Path, case_line: CaseLine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _set(tmp_path, case_line("fine"), case_line("broken", accept=["MAYBE"]))

    code = main(["eval", "--set", str(path)])

    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:2: 'accept' has 'MAYBE'" in err
