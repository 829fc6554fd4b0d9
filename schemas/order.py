"""The order event a logistics or ERP system publishes to `orders` (contract: product brief)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.codes import (
    CONTROL_CODE_PATTERN,
    HS_CODE_PATTERN,
    TECH_ENTRY_PATTERN,
    check_country,
    check_currency,
)

MAX_LINES = 5000
MAX_NAME = 500
MAX_TEXT = 2000
MAX_QUANTITY = 1e12
MAX_VALUE = 1e13
# C0 and C1 control characters (DEL included), which no party name legitimately contains.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")

CountryCode = Annotated[str, AfterValidator(check_country)]
CurrencyCode = Annotated[str, AfterValidator(check_currency)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class OrderStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"


class Party(_Strict):
    party_id: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=MAX_NAME)
    country: CountryCode
    address: str | None = Field(default=None, max_length=MAX_TEXT)

    @field_validator("name")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if _CONTROL_CHARACTER.search(value):
            msg = "name contains control characters"
            raise ValueError(msg)
        return value


class Intermediary(Party):
    role: str = Field(min_length=1, max_length=50)


class EndUse(_Strict):
    code: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=MAX_TEXT)


class OrderLine(_Strict):
    line_id: str = Field(min_length=1, max_length=50)
    sku: str | None = Field(default=None, max_length=100)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    hs_code: str | None = Field(default=None, pattern=HS_CODE_PATTERN)
    control_code: str | None = Field(default=None, pattern=CONTROL_CODE_PATTERN)
    tech_entry: str | None = Field(default=None, pattern=TECH_ENTRY_PATTERN)
    quantity: float = Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)
    unit: str = Field(min_length=1, max_length=20)
    value: float = Field(ge=0, le=MAX_VALUE, allow_inf_nan=False)
    currency: CurrencyCode
    origin_country: CountryCode | None = None
    cn_rare_earth_share: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)

    @field_validator("quantity", "value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            msg = "must be a finite number"
            raise ValueError(msg)
        return value


class OrderEvent(_Strict):
    order_id: str = Field(min_length=1, max_length=100)
    revision: int = Field(default=1, ge=1, le=1_000_000)
    status: OrderStatus = OrderStatus.ACTIVE
    event_time: datetime
    ship_date: date | None = None
    exporter: Party
    consignee: Party
    end_user: Party
    intermediaries: list[Intermediary] = Field(default_factory=list, max_length=50)
    destination_country: CountryCode
    end_use: EndUse = Field(default_factory=EndUse)
    licence_numbers: list[str] = Field(default_factory=list, max_length=50)
    lines: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES)

    @field_validator("event_time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            msg = "event_time must carry a UTC offset"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _unique_line_ids(self) -> OrderEvent:
        seen: set[str] = set()
        for line in self.lines:
            if line.line_id in seen:
                msg = f"duplicate line_id {line.line_id!r}"
                raise ValueError(msg)
            seen.add(line.line_id)
        return self

    @property
    def as_of(self) -> date:
        """The date the rules apply as of: the ship date, else the event date."""
        return self.ship_date or self.event_time.date()

    def parties(self) -> list[tuple[str, Party]]:
        """Every party with its role, in a stable order."""
        found: list[tuple[str, Party]] = [
            ("exporter", self.exporter),
            ("consignee", self.consignee),
            ("end_user", self.end_user),
        ]
        found.extend((f"intermediary:{p.role}", p) for p in self.intermediaries)
        return found
