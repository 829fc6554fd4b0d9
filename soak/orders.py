"""A deterministic stream of realistic orders for fault-injection tests and the soak.

The mix spans what the screening must tell apart: uncontrolled goods, dual-use items by customs or
control code, listed parties (names taken from the configured party-list file, not from code),
military and civil end uses, and orders drawing on a licence on file (from the licence file).
Order ids carry a run prefix so runs on one broker never collide.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

Order = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Item:
    description: str
    hs_code: str | None = None
    control_code: str | None = None
    unit: str = "kg"


# Goods an exporter in China ships every day, with and without export controls.
ITEMS = (
    Item("Cotton T-shirts, knitted", hs_code="61091000", unit="pcs"),
    Item("Wooden office furniture", hs_code="94033000", unit="pcs"),
    Item("Gallium metal, 6N ingots", hs_code="8112929010"),
    Item("Germanium dioxide powder", hs_code="2825600002"),
    Item("Natural flake graphite, spheroidised", hs_code="2504101000"),
    Item("Antimony metal ingots", hs_code="8110101000"),
    Item("Samarium-cobalt permanent-magnet alloy", control_code="1C902.a"),
    Item("Tungsten oxide", hs_code="2825901200", control_code="1C117.d"),
    Item("Ceramic tiles, glazed", hs_code="69072100", unit="m2"),
    Item("Industrial part, unspecified"),
)

_COUNTERPARTIES = (
    ("Hamburg Feinmetall GmbH", "DE"),
    ("Osaka Precision Materials KK", "JP"),
    ("Lyon Composites SA", "FR"),
    ("Seoul Battery Materials Co Ltd", "KR"),
    ("Midwest Alloys Inc", "US"),
    ("Sao Paulo Ceramica Ltda", "BR"),
)

_END_USES: tuple[dict[str, str], ...] = (
    {"code": "civil", "description": "manufacture of consumer electronics"},
    {"description": "production of solar panels"},
    {"description": "components for military aircraft"},
    {},
)


def listed_names(party_list: Path, limit: int = 20) -> list[tuple[str, str]]:
    """(name, country) of the first companies on a party-list CSV that name a two-letter country."""
    names: list[tuple[str, str]] = []
    with party_list.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            country = (row.get("country") or "").strip()
            if row.get("type") == "Company" and len(country) == 2 and country.isalpha():
                names.append((row["name"].strip(), country.upper()))
            if len(names) >= limit:
                break
    return names


@dataclass(frozen=True, slots=True)
class LicenceDraw:
    """A general licence item on file that orders of the mix name, so draws compete for its balance."""

    number: str
    hs_code: str
    description: str
    unit: str
    destination: str
    holder: dict[str, str]
    # Per order, so that a few dozen orders exhaust the item.
    quantity_share: float

    @classmethod
    def from_file(cls, licences_file: Path) -> LicenceDraw | None:
        data = yaml.safe_load(licences_file.read_text(encoding="utf-8"))
        for licence in data.get("licences", []):
            for item in licence.get("items", []):
                if licence.get("type") == "general" and item.get("hs_code"):
                    return cls(
                        number=str(licence["number"]),
                        hs_code=str(item["hs_code"]),
                        description=str(item.get("description") or "licensed item"),
                        unit=str(item["unit"]),
                        destination=str(licence["destinations"][0]),
                        holder={k: str(v) for k, v in licence["holder"].items()},
                        quantity_share=float(item["quantity"]) / 25,
                    )
        return None


class OrderFactory:
    """Builds order `i` of a run; the same seed and index always give the same order."""

    def __init__(
        self,
        prefix: str,
        *,
        seed: int = 7,
        listed: list[tuple[str, str]] | None = None,
        licence: LicenceDraw | None = None,
    ) -> None:
        self.prefix = prefix
        self.seed = seed
        self.listed = listed or []
        self.licence = licence

    def order_id(self, i: int) -> str:
        return f"{self.prefix}-{i:06d}"

    def order(self, i: int, *, revision: int = 1, lines: int | None = None) -> Order:
        rng = random.Random(self.seed * 1_000_003 + i)  # noqa: S311 - reproducible test data, not secrets
        name, country = rng.choice(_COUNTERPARTIES)
        if self.listed and rng.random() < 0.15:
            name, country = rng.choice(self.listed)
        event_time = datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + timedelta(minutes=i)
        count = lines if lines is not None else rng.randint(1, 3)
        if self.licence is not None and i % 3 == 0:
            return self._licence_order(rng, i, revision, event_time)
        return {
            "order_id": self.order_id(i),
            "revision": revision,
            "event_time": event_time.isoformat(),
            "ship_date": (date(2026, 3, 10) + timedelta(days=i % 30)).isoformat(),
            "exporter": {"party_id": "EXP-1", "name": "Hunan Nonferrous Trading Co Ltd", "country": "CN"},
            "consignee": {"name": name, "country": country},
            "end_user": {"name": name, "country": country},
            "destination_country": country,
            "end_use": rng.choice(_END_USES),
            "lines": [self._line(rng, n) for n in range(count)],
        }

    def _licence_order(self, rng: random.Random, i: int, revision: int, event_time: datetime) -> Order:
        draw = self.licence
        assert draw is not None
        names = [name for name, country in _COUNTERPARTIES if country == draw.destination]
        party = {"name": names[0] if names else "Licensed Consignee Ltd", "country": draw.destination}
        quantity = round(draw.quantity_share * rng.uniform(0.5, 1.5), 1)
        return {
            "order_id": self.order_id(i),
            "revision": revision,
            "event_time": event_time.isoformat(),
            "ship_date": (date(2026, 3, 10) + timedelta(days=i % 30)).isoformat(),
            "exporter": dict(draw.holder),
            "consignee": party,
            "end_user": party,
            "destination_country": draw.destination,
            "end_use": {"code": "civil", "description": "manufacture of lithium-ion battery anodes"},
            "licence_numbers": [draw.number],
            "lines": [
                {
                    "line_id": "L1",
                    "description": draw.description,
                    "hs_code": draw.hs_code,
                    "quantity": quantity,
                    "unit": draw.unit,
                    "value": round(quantity * 2, 2),
                    "currency": "USD",
                    "origin_country": "CN",
                }
            ],
        }

    @staticmethod
    def _line(rng: random.Random, n: int) -> dict[str, Any]:
        return order_line(rng.choice(ITEMS), rng, n)

    def stream(self, start: int, count: int) -> Iterator[tuple[str, bytes]]:
        """(key, value) pairs ready to produce to the orders topic."""
        for i in range(start, start + count):
            yield self.order_id(i), encode(self.order(i))


def encode(order: Order) -> bytes:
    return json.dumps(order, separators=(",", ":")).encode("utf-8")


def order_line(item: Item, rng: random.Random, n: int) -> dict[str, Any]:
    """Line `n` of an order: `item` with a random quantity and value (the bench's mix uses it too)."""
    line: dict[str, Any] = {
        "line_id": f"L{n + 1}",
        "description": item.description,
        "quantity": rng.randint(1, 500),
        "unit": item.unit,
        "value": round(rng.uniform(100, 250_000), 2),
        "currency": "USD",
        "origin_country": "CN",
    }
    if item.hs_code:
        line["hs_code"] = item.hs_code
    if item.control_code:
        line["control_code"] = item.control_code
    return line
