"""Why an order was refused: a small, bounded set of reasons (metrics labels, dead-letter field).

Pydantic reports many fine-grained error types; `reason_for_error` folds them into these reasons and
the human-readable detail keeps the specifics.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


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
    PROCESSING_ERROR = "processing_error"


# Messages raised by the order model's own validators (schemas/order.py, schemas/codes.py).
_VALIDATOR_MESSAGES: tuple[tuple[str, InvalidReason], ...] = (
    ("unknown country code", InvalidReason.UNKNOWN_COUNTRY),
    ("unknown currency code", InvalidReason.UNKNOWN_CURRENCY),
    ("duplicate line_id", InvalidReason.DUPLICATE_LINE_ID),
    ("must carry a UTC offset", InvalidReason.NAIVE_TIMESTAMP),
    ("must be a finite number", InvalidReason.NON_FINITE_NUMBER),
)

_TYPE_ERRORS_BY_NAME: dict[str, InvalidReason] = {
    "missing": InvalidReason.MISSING_FIELD,
    "finite_number": InvalidReason.NON_FINITE_NUMBER,
    "too_long": InvalidReason.TOO_MANY_ITEMS,
    "int_parsing": InvalidReason.WRONG_TYPE,
    "float_parsing": InvalidReason.WRONG_TYPE,
    "int_from_float": InvalidReason.WRONG_TYPE,
    "bool_parsing": InvalidReason.WRONG_TYPE,
}


def reason_for_error(error: Any) -> InvalidReason:
    """The reason for one pydantic error dict (`ValidationError.errors()` item)."""
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
