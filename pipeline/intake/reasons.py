"""Why an order was refused: a small, bounded set of reasons (metrics labels, dead-letter field).

Pydantic reports many fine-grained error types; `reason_for_error` folds them into these reasons and
the human-readable detail keeps the specifics.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from schemas.codes import CONTROL_CODE_PATTERN, TECH_ENTRY_PATTERN
from schemas.order import NAME_PATTERN, TEXT_PATTERN, printed_form


class InvalidReason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    TOO_DEEP = "too_deep"
    NON_FINITE_NUMBER = "non_finite_number"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_COUNTRY = "unknown_country"
    UNKNOWN_CURRENCY = "unknown_currency"
    DUPLICATE_LINE_ID = "duplicate_line_id"
    TOO_MANY_ITEMS = "too_many_items"
    NAIVE_TIMESTAMP = "naive_timestamp"
    # The same key twice in one JSON object: readers disagree on which value counts.
    DUPLICATE_KEY = "duplicate_key"
    CONTROL_CHARACTER = "control_character"
    # A code not in its canonical case (`de`, `eur`, `1c902.A`): refused, never normalised.
    CODE_CASE = "code_case"
    PROCESSING_ERROR = "processing_error"


# Messages raised by the order model's own validators (schemas/order.py, schemas/codes.py).
_VALIDATOR_MESSAGES: tuple[tuple[str, InvalidReason], ...] = (
    ("unknown country code", InvalidReason.UNKNOWN_COUNTRY),
    ("unknown currency code", InvalidReason.UNKNOWN_CURRENCY),
    ("duplicate line_id", InvalidReason.DUPLICATE_LINE_ID),
    ("must carry a UTC offset", InvalidReason.NAIVE_TIMESTAMP),
    ("must be a finite number", InvalidReason.NON_FINITE_NUMBER),
    ("code case:", InvalidReason.CODE_CASE),
    ("must be an ISO 8601 string", InvalidReason.WRONG_TYPE),
)

_TYPE_ERRORS_BY_NAME: dict[str, InvalidReason] = {
    "missing": InvalidReason.MISSING_FIELD,
    "finite_number": InvalidReason.NON_FINITE_NUMBER,
    "too_long": InvalidReason.TOO_MANY_ITEMS,
    "int_parsing": InvalidReason.WRONG_TYPE,
    "float_parsing": InvalidReason.WRONG_TYPE,
    "int_from_float": InvalidReason.WRONG_TYPE,
    "bool_parsing": InvalidReason.WRONG_TYPE,
    # A lone surrogate from a `\ud800` escape: text that cannot be encoded as what was screened.
    "string_unicode": InvalidReason.CONTROL_CHARACTER,
}


# Text patterns that refuse control characters, and code patterns whose case the list prints.
_CHARACTER_PATTERNS = frozenset({NAME_PATTERN, TEXT_PATTERN})
_CODE_PATTERNS = frozenset({CONTROL_CODE_PATTERN, TECH_ENTRY_PATTERN})
# The characters NAME_PATTERN refuses, in Python's syntax, to point at the first one in a detail.
_REFUSED_CHARACTER = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b\u2028\u2029\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)


def _pattern_refusal(error: Any) -> tuple[InvalidReason, str] | None:
    """Why a text or code failed its pattern, when the cause is a character or the code's case."""
    if error.get("type") != "string_pattern_mismatch":
        return None
    pattern, value = error.get("ctx", {}).get("pattern"), error.get("input")
    if not isinstance(value, str):
        return None
    if pattern in _CHARACTER_PATTERNS:
        found = _REFUSED_CHARACTER.search(value)
        where = f"U+{ord(found.group()):04X} at position {found.start()}" if found else "a refused character"
        return InvalidReason.CONTROL_CHARACTER, f"contains control character {where}"
    canonical = printed_form(value.strip()) if pattern in _CODE_PATTERNS else None
    if canonical is not None and canonical != value.strip():
        return InvalidReason.CODE_CASE, f"code case: {value!r} must be written {canonical!r}"
    return None


def describe_error(error: Any) -> str:
    """`where: what` for one pydantic error dict; the input itself only for characters and case."""
    where = ".".join(str(part) for part in error.get("loc", ())) or "order"
    refusal = _pattern_refusal(error)
    return f"{where}: {refusal[1] if refusal else error.get('msg', 'invalid')}"


def reason_for_error(error: Any) -> InvalidReason:
    """The reason for one pydantic error dict (`ValidationError.errors()` item)."""
    refusal = _pattern_refusal(error)
    if refusal:
        return refusal[0]
    kind = str(error.get("type", ""))
    if kind == "model_type" and not error.get("loc"):
        return InvalidReason.NOT_AN_OBJECT
    if kind in _TYPE_ERRORS_BY_NAME:
        return _TYPE_ERRORS_BY_NAME[kind]
    if kind.endswith("_type"):
        return InvalidReason.WRONG_TYPE
    if kind == "value_error":
        message = str(error.get("msg", ""))
        for fragment, reason in _VALIDATOR_MESSAGES:
            if fragment in message:
                return reason
    return InvalidReason.INVALID_VALUE
