"""Schema models from values the engine built and typed itself, without validating them again.

The decision record and its reasons are made from the engine's findings, the party screener's hits
and the order already validated at intake: every value has its schema type (enums, dates, floats).
Validating them once more cost a fifth of building the decision; `assembled` sets the fields as
pydantic's `model_construct` does, without its per-field loops. tests/decisions/test_decisions_assemble.py
pins that an assembled decision equals, type for type, the one `model_validate` gives.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)

_object_setattr = object.__setattr__


def plain_model(cls: type[Model]) -> type[Model]:
    """`cls`, checked to be assemblable: no extra fields kept, no private attributes, no post-init."""
    if cls.model_config.get("extra") == "allow" or cls.__private_attributes__ or cls.__pydantic_post_init__:
        msg = f"{cls.__name__} keeps state beyond its fields: build it with model_validate"
        raise TypeError(msg)
    return cls


def assembled(cls: type[Model], values: dict[str, Any], given: set[str]) -> Model:
    """An instance of `cls` holding `values`: every field, in declaration order, of its schema type.

    `given` is what `model_fields_set` reports: the fields validation would have been handed.
    """
    model = cls.__new__(cls)
    _object_setattr(model, "__dict__", values)
    _object_setattr(model, "__pydantic_fields_set__", given)
    _object_setattr(model, "__pydantic_extra__", None)
    _object_setattr(model, "__pydantic_private__", None)
    return model


def updated(model: Model, changes: dict[str, Any]) -> Model:
    """`model.model_copy(update=changes)` for an assemblable model, without copying twice.

    `changes` must hold values of the fields' schema types, as `model_copy` does not validate them either.
    """
    return assembled(
        type(model), {**model.__dict__, **changes}, model.__pydantic_fields_set__ | changes.keys()
    )
