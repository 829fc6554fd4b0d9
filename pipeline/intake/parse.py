"""Raw bytes from `orders` -> a validated `OrderEvent`, or a `Rejection` with a bounded reason.

Cheap checks run first (size, encoding, nesting depth) so a hostile record cannot cost much:
the depth check runs before `json.loads`, which would otherwise recurse and may raise
RecursionError. NaN and Infinity, which Python's json accepts by default, are refused, and so is
a key given twice in one object, where Python's json would keep the last value silently.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pipeline.intake.reasons import InvalidReason, describe_error, reason_for_error
from schemas.order import OrderEvent

MAX_ORDER_BYTES = 1024 * 1024
MAX_NESTING_DEPTH = 32
MAX_DETAIL_ERRORS = 5
_DETAIL_SNIPPET = 120

# Strings are skipped whole so brackets inside them do not count toward depth.
_DEPTH_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: InvalidReason
    detail: str


class _NonFiniteNumberError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    msg = f"{name} is not a valid JSON number"
    raise _NonFiniteNumberError(msg)


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() in C then one length comparison: the check costs a function call per object.
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                first, last = repr(seen[key])[:40], repr(value)[:40]
                msg = f"key {key!r} appears twice in one object ({first}, then {last})"
                raise _DuplicateKeyError(msg)
            seen[key] = value
    return document


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        msg = f"{text[:40]} overflows a 64-bit float"
        raise _NonFiniteNumberError(msg)
    return value


def nesting_depth_exceeds(text: str, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit` (string contents ignored)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _DEPTH_TOKENS.finditer(text):
        symbol = match.group()
        if symbol in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif symbol in ("]", "}"):
            depth -= 1
    return False


class _RefusedError(Exception):
    def __init__(self, reason: InvalidReason, detail: str) -> None:
        super().__init__(detail)
        self.rejection = Rejection(reason, detail)


def _decode_document(raw: bytes | None) -> dict[str, Any]:
    """Bytes -> JSON object, cheapest checks first."""
    if not raw:
        raise _RefusedError(InvalidReason.EMPTY, "record has no value")
    if len(raw) > MAX_ORDER_BYTES:
        detail = f"{len(raw)} bytes exceeds the {MAX_ORDER_BYTES}-byte limit"
        raise _RefusedError(InvalidReason.TOO_LARGE, detail)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        detail = f"invalid UTF-8 at byte {exc.start}: {exc.reason}"
        raise _RefusedError(InvalidReason.NOT_UTF8, detail) from exc
    if nesting_depth_exceeds(text, MAX_NESTING_DEPTH):
        raise _RefusedError(InvalidReason.TOO_DEEP, f"JSON nests deeper than {MAX_NESTING_DEPTH} levels")
    try:
        document = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except _NonFiniteNumberError as exc:
        raise _RefusedError(InvalidReason.NON_FINITE_NUMBER, str(exc)) from exc
    except _DuplicateKeyError as exc:
        raise _RefusedError(InvalidReason.DUPLICATE_KEY, str(exc)) from exc
    except ValueError as exc:
        raise _RefusedError(InvalidReason.NOT_JSON, f"{exc}; starts {text[:_DETAIL_SNIPPET]!r}") from exc
    if not isinstance(document, dict):
        detail = f"top level is a JSON {type(document).__name__}"
        raise _RefusedError(InvalidReason.NOT_AN_OBJECT, detail)
    return document


def parse_order(raw: bytes | None) -> OrderEvent | Rejection:
    """Validate one record value from `orders`."""
    try:
        return OrderEvent.model_validate(_decode_document(raw))
    except _RefusedError as exc:
        return exc.rejection
    except ValidationError as exc:
        # Inputs are kept for describe_error to name a refused character or code; it quotes no other.
        errors = exc.errors(include_url=False)
        details = "; ".join(describe_error(e) for e in errors[:MAX_DETAIL_ERRORS])
        if len(errors) > MAX_DETAIL_ERRORS:
            details += f"; and {len(errors) - MAX_DETAIL_ERRORS} more"
        return Rejection(reason_for_error(errors[0]), details)
