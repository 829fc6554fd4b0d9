"""A schema model's JSON for the topics, written by orjson from the model's fields.

The bytes equal pydantic's `model_dump_json()` for the decision and alert models (same field order,
`Z` for UTC, dates and enums as their values), which tests/decisions/test_encoding.py pins over the
bench mix and the eval orders; orjson writes them in a fifth of the time, once per decision. The one
difference: orjson prints a float from 1e16 up as `1e+16` where pydantic prints `1e16` (the schemas
cap orders' quantities and values below that today); output with `e+` anywhere is written by pydantic.
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel

_OPTIONS = orjson.OPT_UTC_Z


def _fields(value: object) -> dict[str, object]:
    # A nested model (reason, citation, party match, alert party): its fields, in declaration order.
    if isinstance(value, BaseModel):
        return value.__dict__
    msg = f"{type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def model_json(model: BaseModel) -> bytes:
    """`model.model_dump_json().encode()`, faster; for models without extra fields or custom serializers."""
    written = orjson.dumps(model.__dict__, default=_fields, option=_OPTIONS)
    if b"e+" in written:
        return model.model_dump_json().encode()
    return written
