"""The product master: what each SKU is, for export control.

A YAML file maps SKUs to control codes, customs code, technology entry, origin and Chinese
rare-earth value share, or marks them explicitly non-controlled (which classifies a line that
carries no code of its own). Validated at load with pydantic; looked up as plain frozen records.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.codes import HS_CODE_PATTERN
from schemas.rulepack import ControlCode, Country, TechEntry


class ProductMasterError(Exception):
    """A product master file was refused; the one in force stays in force."""


class ProductEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1)
    control_codes: list[ControlCode] = Field(default_factory=list)
    hs_code: str | None = Field(default=None, pattern=HS_CODE_PATTERN)
    tech_entry: TechEntry | None = None
    origin_country: Country | None = None
    cn_rare_earth_share: float | None = Field(default=None, ge=0, le=1)
    # Made outside China with Chinese rare-earth technology (2025 No. 61 item 2, foreign direct product).
    made_with_cn_re_technology: bool = False
    non_controlled: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProductEntry:
        if self.non_controlled and (self.control_codes or self.tech_entry or self.made_with_cn_re_technology):
            msg = f"SKU {self.sku}: marked non_controlled but carries a control code or technology entry"
            raise ValueError(msg)
        return self


class ProductMasterFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    products: list[ProductEntry]


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    description: str
    control_codes: tuple[str, ...]
    hs_code: str | None
    tech_entry: str | None
    origin_country: str | None
    cn_rare_earth_share: float | None
    non_controlled: bool
    made_with_cn_re_technology: bool = False


@dataclass(frozen=True, slots=True)
class ProductMaster:
    version: str
    products: MappingProxyType[str, Product]

    def get(self, sku: str | None) -> Product | None:
        return None if sku is None else self.products.get(sku)

    @classmethod
    def parse(cls, text: str, source: str) -> ProductMaster:
        try:
            data = yaml.safe_load(text)
            model = ProductMasterFile.model_validate(data)
        except (yaml.YAMLError, ValidationError) as exc:
            msg = f"{source}: product master refused: {exc}"
            raise ProductMasterError(msg) from exc
        duplicates = sorted(sku for sku, n in Counter(p.sku for p in model.products).items() if n > 1)
        if duplicates:
            msg = f"{source}: product master refused: duplicate SKUs {', '.join(duplicates)}"
            raise ProductMasterError(msg)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        products = {
            p.sku: Product(
                p.sku,
                p.description,
                tuple(p.control_codes),
                p.hs_code,
                p.tech_entry,
                p.origin_country,
                p.cn_rare_earth_share,
                p.non_controlled,
                p.made_with_cn_re_technology,
            )
            for p in model.products
        }
        return cls(f"{model.version}+{digest}", MappingProxyType(products))

    @classmethod
    def load(cls, path: Path) -> ProductMaster:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            msg = f"{path}: cannot read product master: {exc.strerror}"
            raise ProductMasterError(msg) from exc
        return cls.parse(text, str(path))
