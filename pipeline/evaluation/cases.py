"""Evaluation cases: a full order event plus `id`, `class`, `accept` and `why`, one JSON object a line.

A case file is refused as a whole on its first bad case, naming the file, the line and the reason, so
a set that silently lost a case can never report a clean run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.settings import BUNDLED_DATA
from schemas.decision import Route
from schemas.order import OrderEvent

DEFAULT_SET = BUNDLED_DATA / "eval" / "orders.jsonl"
# The evaluation's own keys; everything else on the line is the order event.
CASE_KEYS = ("id", "class", "accept", "why")
ROUTE_NAMES = {route.name: route for route in Route}


class EvalSetError(Exception):
    """An evaluation set file was refused: `file:line: reason`."""


@dataclass(frozen=True, slots=True)
class EvalCase:
    id: str
    class_name: str
    accept: frozenset[Route]
    why: str
    order: OrderEvent
    line: int


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key means two things to two readers; the case must say one thing.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            msg = f"duplicate key {key!r}"
            raise ValueError(msg)
        seen[key] = value
    return seen


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        msg = f"{key!r} must be a non-empty string"
        raise ValueError(msg)
    return value.strip()


def _accept(record: dict[str, Any]) -> frozenset[Route]:
    value = record.get("accept")
    if not isinstance(value, list) or not value:
        msg = "'accept' must be a non-empty list of routes (HOLD, LICENSE, RELEASE)"
        raise ValueError(msg)
    routes: set[Route] = set()
    for name in value:
        if not isinstance(name, str) or name not in ROUTE_NAMES:
            msg = f"'accept' has {name!r}; expected HOLD, LICENSE or RELEASE"
            raise ValueError(msg)
        if ROUTE_NAMES[name] in routes:
            msg = f"'accept' lists {name} twice"
            raise ValueError(msg)
        routes.add(ROUTE_NAMES[name])
    return frozenset(routes)


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "order"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"order is not a valid order event: {where}: {first['msg']}{more}"


def parse_case(text: str, line: int) -> EvalCase:
    """One case from one line of JSON; ValueError with the reason when it is not a valid case."""
    try:
        record = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        msg = f"not valid JSON: {exc.msg} at column {exc.colno}"
        raise ValueError(msg) from exc
    if not isinstance(record, dict):
        msg = "a case must be a JSON object"
        raise ValueError(msg)
    case_id = _text(record, "id")
    class_name = _text(record, "class")
    accept = _accept(record)
    why = _text(record, "why")
    try:
        order = OrderEvent.model_validate({k: v for k, v in record.items() if k not in CASE_KEYS})
    except ValidationError as exc:
        raise ValueError(_validation_reason(exc)) from exc
    return EvalCase(case_id, class_name, accept, why, order, line)


def parse_cases(text: str, source: str) -> list[EvalCase]:
    """Every case of a JSONL text; blank lines are skipped, ids must be unique."""
    cases: list[EvalCase] = []
    first_line_of: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            case = parse_case(raw, number)
        except ValueError as exc:
            msg = f"{source}:{number}: {exc}"
            raise EvalSetError(msg) from exc
        if case.id in first_line_of:
            msg = f"{source}:{number}: duplicate case id {case.id!r} (first on line {first_line_of[case.id]})"
            raise EvalSetError(msg)
        first_line_of[case.id] = number
        cases.append(case)
    if not cases:
        msg = f"{source}: no cases"
        raise EvalSetError(msg)
    return cases


def load_cases(path: Path = DEFAULT_SET) -> list[EvalCase]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"{path}: cannot read evaluation set: {exc.strerror}"
        raise EvalSetError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text: {exc.reason}"
        raise EvalSetError(msg) from exc
    return parse_cases(text, str(path))
