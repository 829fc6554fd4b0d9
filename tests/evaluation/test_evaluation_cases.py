"""Loading the evaluation set: valid cases parse, every bad case is refused with file, line and reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.evaluation.cases import EvalSetError, load_cases, parse_cases
from schemas.decision import Route

CaseLine = Callable[..., str]


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_cases_parse_with_their_routes_and_order(tmp_path: Path, case_line: CaseLine) -> None:
    path = _write(tmp_path, case_line("a"), "", case_line("b", accept=["RELEASE", "HOLD"], **{"class": "x"}))

    cases = load_cases(path)

    assert [(c.id, c.class_name, c.line) for c in cases] == [("a", "sample", 1), ("b", "x", 3)]
    assert cases[0].accept == frozenset({Route.LICENSE})
    assert cases[1].accept == frozenset({Route.RELEASE, Route.HOLD})
    assert cases[0].order.order_id == "EVAL-a"
    assert cases[0].order.lines[0].hs_code == "81129290"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": ""}, "'id' must be a non-empty string"),
        ({"class": None}, "'class' must be a non-empty string"),
        ({"why": "  "}, "'why' must be a non-empty string"),
        ({"accept": []}, "'accept' must be a non-empty list"),
        ({"accept": "HOLD"}, "'accept' must be a non-empty list"),
        ({"accept": ["hold"]}, "'accept' has 'hold'; expected HOLD, LICENSE or RELEASE"),
        ({"accept": ["HOLD", "HOLD"]}, "'accept' lists HOLD twice"),
        ({"lines": []}, "order is not a valid order event: lines:"),
        ({"destination_country": "XX"}, "order is not a valid order event: destination_country:"),
        ({"event_time": "2026-03-02T09:15:00"}, "event_time must carry a UTC offset"),
    ],
)
def test_a_bad_case_is_refused_with_file_line_and_reason(
    tmp_path: Path, case_line: CaseLine, fields: dict[str, object], reason: str
) -> None:
    path = _write(tmp_path, case_line("good"), case_line("bad", **fields))

    with pytest.raises(EvalSetError) as refused:
        load_cases(path)

    message = str(refused.value)
    assert message.startswith(f"{path}:2: ")
    assert reason in message


def test_missing_key_is_refused(tmp_path: Path, case_line: CaseLine) -> None:
    record = json.loads(case_line("no-why"))
    del record["why"]
    path = _write(tmp_path, json.dumps(record))

    with pytest.raises(EvalSetError, match=r":1: 'why' must be a non-empty string"):
        load_cases(path)


def test_duplicate_json_key_is_refused_not_last_one_wins(case_line: CaseLine) -> None:
    line = case_line("dup").replace('"class": "sample"', '"class": "sample", "class": "other"', 1)

    with pytest.raises(EvalSetError, match=r"^set.jsonl:1: duplicate key 'class'$"):
        parse_cases(line, "set.jsonl")


def test_duplicate_case_id_names_both_lines(case_line: CaseLine) -> None:
    text = "\n".join([case_line("same"), case_line("other"), case_line("same")])

    with pytest.raises(EvalSetError, match=r"^s:3: duplicate case id 'same' \(first on line 1\)$"):
        parse_cases(text, "s")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"id": "x",', "not valid JSON"),
        ("[1, 2]", "a case must be a JSON object"),
    ],
)
def test_malformed_lines_are_refused(text: str, reason: str) -> None:
    with pytest.raises(EvalSetError, match=rf"^f.jsonl:1: {reason}"):
        parse_cases(text, "f.jsonl")


def test_an_empty_set_is_refused() -> None:
    with pytest.raises(EvalSetError, match=r"^empty.jsonl: no cases$"):
        parse_cases("\n\n", "empty.jsonl")


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "absent.jsonl"

    with pytest.raises(EvalSetError, match="cannot read evaluation set"):
        load_cases(missing)
