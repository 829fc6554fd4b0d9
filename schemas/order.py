"""The order event a logistics or ERP system publishes to `orders` (contract: product brief).

Nothing that could be read two ways is accepted (issue 15, "ambiguous input never decides"):
- Numbers and booleans are strict: a quantity must be a JSON number, a revision a JSON integer;
  `"12"`, `true` or `1.5` for them are refused, never converted. Timestamps and dates must be
  JSON strings (ISO 8601), not epoch numbers.
- Codes must arrive in their canonical case, never normalised: country (ISO 3166-1 alpha-2) and
  currency (ISO 4217) in upper case; control codes as the list prints them (digit, upper-case
  category letter, three digits, lower-case sub-paragraphs); tech entries with upper-case J/X;
  HS codes are digits only. `de` or `1c902.A` is refused with the reason `code_case`.
- No control characters in any text: identifiers, codes and names refuse every C0/C1 control
  character; free text (addresses, line and end-use descriptions) allows only tab, line feed and
  carriage return. Bidirectional overrides, invisible separators and lone surrogates, which make
  text display or encode differently from what is screened, are refused everywhere.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

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
# Characters that make a text display, compare or encode differently from what is screened:
# bidirectional embeddings, overrides and isolates, invisible separators and the BOM. (Lone
# surrogates, which JSON escapes can carry, pydantic refuses itself as `string_unicode`.)
_INVISIBLE = r"\u200B\u2028\u2029\u2060\uFEFF\u202A-\u202E\u2066-\u2069"
# Checked by pydantic-core's regex engine, not a Python validator: every text field of every order
# passes through them. Identifiers, codes and names refuse every C0 and C1 control character.
NAME_PATTERN = rf"^[^\x00-\x1F\x7F-\x9F{_INVISIBLE}]*$"
# Multi-line free text keeps tab, line feed and carriage return, which ERP exports use in addresses.
TEXT_PATTERN = rf"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F{_INVISIBLE}]*$"

_CONTROL_CODE_ANY_CASE = re.compile(r"[0-9][a-e][0-9]{3}(\.[a-z0-9]{1,3})*", re.IGNORECASE)
_TECH_ENTRY_ANY_CASE = re.compile(r"[0-9]{6}[jx]", re.IGNORECASE)


def printed_form(code: str) -> str | None:
    """How the list prints a control code or tech entry given in any case; None if it is neither."""
    if _CONTROL_CODE_ANY_CASE.fullmatch(code):
        return code[:5].upper() + code[5:].lower()
    if _TECH_ENTRY_ANY_CASE.fullmatch(code):
        return code.upper()
    return None


def _check_case(value: str) -> None:
    if value != value.upper():
        msg = f"code case: {value!r} must be upper case"
        raise ValueError(msg)


# An order names a few codes seven to ten times over: a known upper-case code needs no other check.
_COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
_CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


def _country(value: str) -> str:
    if value in _COUNTRY_CODES:
        return value
    _check_case(value)
    return check_country(value)


def _currency(value: str) -> str:
    if value in _CURRENCY_CODES:
        return value
    _check_case(value)
    return check_currency(value)


def _json_string(value: Any) -> Any:
    # Epoch numbers would otherwise be read as timestamps: only ISO 8601 strings are accepted.
    if not isinstance(value, str | datetime | date):
        msg = "must be an ISO 8601 string"
        raise ValueError(msg)
    return value


Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
CountryCode = Annotated[str, AfterValidator(_country)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
Timestamp = Annotated[datetime, BeforeValidator(_json_string)]
Day = Annotated[date, BeforeValidator(_json_string)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class OrderStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"


class Party(_Strict):
    party_id: Name | None = Field(default=None, max_length=100)
    name: Name = Field(min_length=1, max_length=MAX_NAME)
    country: CountryCode
    address: Text | None = Field(default=None, max_length=MAX_TEXT)


class Intermediary(Party):
    role: Name = Field(min_length=1, max_length=50)


class EndUse(_Strict):
    code: Name | None = Field(default=None, max_length=50)
    description: Text | None = Field(default=None, max_length=MAX_TEXT)


class OrderLine(_Strict):
    line_id: Name = Field(min_length=1, max_length=50)
    sku: Name | None = Field(default=None, max_length=100)
    description: Text = Field(min_length=1, max_length=MAX_TEXT)
    hs_code: str | None = Field(default=None, pattern=HS_CODE_PATTERN)
    control_code: str | None = Field(default=None, pattern=CONTROL_CODE_PATTERN)
    tech_entry: str | None = Field(default=None, pattern=TECH_ENTRY_PATTERN)
    quantity: float = Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False, strict=True)
    unit: Name = Field(min_length=1, max_length=20)
    value: float = Field(ge=0, le=MAX_VALUE, allow_inf_nan=False, strict=True)
    currency: CurrencyCode
    origin_country: CountryCode | None = None
    cn_rare_earth_share: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False, strict=True)
    # allow_inf_nan=False refuses NaN and infinities in pydantic-core (`finite_number`), with no Python
    # validator per line.


class OrderEvent(_Strict):
    order_id: Name = Field(min_length=1, max_length=100)
    revision: int = Field(default=1, ge=1, le=1_000_000, strict=True)
    status: OrderStatus = OrderStatus.ACTIVE
    event_time: Timestamp
    ship_date: Day | None = None
    exporter: Party
    consignee: Party
    end_user: Party
    intermediaries: list[Intermediary] = Field(default_factory=list, max_length=50)
    destination_country: CountryCode
    end_use: EndUse = Field(default_factory=EndUse)
    licence_numbers: list[Name] = Field(default_factory=list, max_length=50)
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
