"""Export licences on file: the `licences` reference data set (MOFCOM dual-use export licences).

A licence names its holder, the items it authorises by control code or customs code with a quantity
and value each, the destinations, and for single licences the consignee and end user. Licence fields
follow the MOFCOM licence form (licence no., expiry, importing country, consignee, end user,
commodity code, quantity, price).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.codes import CONTROL_CODE_PATTERN, HS_PREFIX_RE, check_country, check_currency

CountryCode = Annotated[str, AfterValidator(check_country)]
CurrencyCode = Annotated[str, AfterValidator(check_currency)]


def _check_hs_prefix(value: str) -> str:
    if not HS_PREFIX_RE.match(value):
        msg = f"customs code {value!r} must be 4 to 10 digits"
        raise ValueError(msg)
    return value


HsPrefix = Annotated[str, AfterValidator(_check_hs_prefix)]


class LicenceType(StrEnum):
    """Single licences name one consignee and end user; general licences cover many (Regs Art. 14)."""

    SINGLE = "single"
    GENERAL = "general"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LicenceParty(_Frozen):
    party_id: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=500)
    country: CountryCode


class LicenceItem(_Frozen):
    """One authorised item with its quantity and value ceilings; draws are in its unit and currency."""

    item_id: str = Field(min_length=1, max_length=50)
    control_code: str | None = Field(default=None, pattern=CONTROL_CODE_PATTERN)
    hs_code: HsPrefix | None = None
    description: str = ""
    quantity: float = Field(gt=0, allow_inf_nan=False)
    unit: str = Field(min_length=1, max_length=20)
    value: float = Field(gt=0, allow_inf_nan=False)
    currency: CurrencyCode

    @model_validator(mode="after")
    def _names_an_item(self) -> LicenceItem:
        if self.control_code is None and self.hs_code is None:
            msg = f"licence item {self.item_id!r} needs a control_code or an hs_code"
            raise ValueError(msg)
        return self


class Licence(_Frozen):
    number: str = Field(min_length=1, max_length=100)
    type: LicenceType
    holder: LicenceParty
    destinations: tuple[CountryCode, ...] = Field(min_length=1)
    consignee: LicenceParty | None = None
    end_user: LicenceParty | None = None
    valid_from: date
    valid_until: date
    items: tuple[LicenceItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Licence:
        if self.valid_until < self.valid_from:
            msg = f"licence {self.number}: valid_until is before valid_from"
            raise ValueError(msg)
        if self.type is LicenceType.SINGLE and (self.consignee is None or self.end_user is None):
            msg = f"single licence {self.number} must name its consignee and end user"
            raise ValueError(msg)
        ids = [item.item_id for item in self.items]
        if len(ids) != len(set(ids)):
            msg = f"licence {self.number}: duplicate item_id"
            raise ValueError(msg)
        return self

    def item(self, item_id: str) -> LicenceItem | None:
        return next((item for item in self.items if item.item_id == item_id), None)


class LicenceFile(_Frozen):
    """The `licences` reference file: a version and the licences on file."""

    version: str = Field(min_length=1, max_length=100)
    licences: tuple[Licence, ...]

    @model_validator(mode="after")
    def _unique_numbers(self) -> LicenceFile:
        numbers = [licence.number for licence in self.licences]
        if len(numbers) != len(set(numbers)):
            msg = "duplicate licence number"
            raise ValueError(msg)
        return self

    def by_number(self) -> dict[str, Licence]:
        return {licence.number: licence for licence in self.licences}
