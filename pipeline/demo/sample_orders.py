"""Generate the bundled sample (`pipeline/data/samples/orders.jsonl`) from the reference data.

Deterministic (fixed seed): items come from the product master, some parties from the MOFCOM party
list sample, the rest are ordinary civil customers; a few records are malformed on purpose.
Run `python -m pipeline.demo.sample_orders > pipeline/data/samples/orders.jsonl` to regenerate.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pycountry
import yaml

from pipeline.settings import Settings, load_settings

SEED = 20261122
VALID_ORDERS = 190

EXPORTERS = [
    {"party_id": "P-CN-EXPORTER", "name": "Ganzhou Example Rare Earth Co., Ltd.", "country": "CN"},
    {"name": "Hunan Minmetals Trading Co., Ltd.", "country": "CN", "address": "Changsha, Hunan"},
    {"name": "Yunnan Germanium Materials Export Co., Ltd.", "country": "CN"},
    {"name": "Shenzhen Cell Energy Technology Co., Ltd.", "country": "CN"},
]
CIVIL_CUSTOMERS = [
    {"name": "Rotterdam Metals B.V.", "country": "NL"},
    {"name": "Eindhoven Optics B.V.", "country": "NL"},
    {"party_id": "P-DE-SIEMENS", "name": "Siemens AG", "country": "DE"},
    {"name": "Bavaria Magnet Systems GmbH", "country": "DE"},
    {"party_id": "P-JP-TOYOTA", "name": "Toyota Motor Corporation", "country": "JP"},
    {"name": "Osaka Precision Sensors K.K.", "country": "JP"},
    {"party_id": "P-US-ACME-ELEC", "name": "Acme Consumer Electronics Inc.", "country": "US"},
    {"name": "Lakeside Solar Storage LLC", "country": "US"},
    {"name": "Hanbit Battery Co., Ltd.", "country": "KR"},
    {"name": "Pune Auto Components Pvt. Ltd.", "country": "IN"},
    {"name": "Saigon Electronics Assembly JSC", "country": "VN"},
    {"name": "Lyon Photonique SAS", "country": "FR"},
    {"name": "Midlands Fasteners Ltd", "country": "GB"},
    {"name": "Jurong Semiconductor Pte. Ltd.", "country": "SG"},
    {"name": "Campinas Baterias Ltda.", "country": "BR"},
]
MILITARY_USERS = [
    {"party_id": "P-JP-MOD", "name": "Ministry of Defense of Japan", "country": "JP"},
    {"party_id": "P-US-ARMY-ACC", "name": "US Army Contracting Command", "country": "US"},
]
END_USES = [
    {"code": "civil-manufacturing", "description": "Production of consumer electronics"},
    {"code": "civil-manufacturing", "description": "Infrared optics for automotive night vision"},
    {"description": "Grid battery storage for a solar park"},
    {"description": "Permanent magnets for industrial servo motors"},
    {"code": "research", "description": "University materials research"},
]
MILITARY_END_USES = [
    {"code": "MILITARY", "description": "Components for armed forces vehicles"},
    {"description": "Night-vision sights for the army"},
]


def _country(name: str) -> str | None:
    if len(name) == 2 and pycountry.countries.get(alpha_2=name.upper()):
        return name.upper()
    try:
        return str(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        return None


def listed_companies(settings: Settings) -> list[dict[str, str]]:
    """Companies from the bundled MOFCOM party-list sample, as order parties."""
    parties = []
    with settings.party_list_files[0].open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            country = _country(row["country"])
            if row["type"] == "Company" and country:
                parties.append({"name": row["name"], "country": country})
    return parties


def products(settings: Settings) -> list[dict[str, Any]]:
    return list(yaml.safe_load(settings.products_file.read_text(encoding="utf-8"))["products"])


def _line(rng: random.Random, index: int, product: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "line_id": str(index),
        "sku": product["sku"],
        "description": product["description"],
        "quantity": rng.choice([1, 5, 20, 100, 250, 1000]),
        "unit": rng.choice(["kg", "pcs"]),
        "value": round(rng.uniform(200, 90_000), 2),
        "currency": rng.choice(["USD", "USD", "EUR", "CNY", "JPY"]),
    }
    for field in ("hs_code", "origin_country", "cn_rare_earth_share", "tech_entry"):
        if field in product:
            line[field] = product[field]
    if product.get("control_codes"):
        line["control_code"] = product["control_codes"][0]
    return line


def _order(
    rng: random.Random, number: int, catalogue: list[dict[str, Any]], listed: list[dict[str, str]]
) -> dict[str, Any]:
    draw = rng.random()
    if draw < 0.12:
        end_user, end_use = rng.choice(listed), rng.choice(END_USES)
    elif draw < 0.18:
        end_user, end_use = rng.choice(MILITARY_USERS), rng.choice(MILITARY_END_USES)
    else:
        end_user, end_use = rng.choice(CIVIL_CUSTOMERS), rng.choice(END_USES)
    consignee = end_user if rng.random() < 0.7 else rng.choice(CIVIL_CUSTOMERS)
    event_time = datetime(2026, 1, 5, 8, tzinfo=UTC) + timedelta(hours=number * 37 % 7000)
    order: dict[str, Any] = {
        "order_id": f"SO-2026-{number:05d}",
        "revision": 1,
        "event_time": event_time.isoformat(),
        "ship_date": (event_time.date() + timedelta(days=rng.randint(2, 30))).isoformat(),
        "exporter": rng.choice(EXPORTERS),
        "consignee": consignee,
        "end_user": end_user,
        "destination_country": consignee["country"],
        "end_use": end_use,
        "lines": [
            _line(rng, i + 1, p) for i, p in enumerate(rng.sample(catalogue, rng.choice([1, 1, 2, 3])))
        ],
    }
    if rng.random() < 0.15:
        order["intermediaries"] = [
            {"name": "Rotterdam Freight Forwarding B.V.", "country": "NL", "role": "forwarder"}
        ]
    if rng.random() < 0.1:
        order["licence_numbers"] = [f"LIC-{date(2026, 1, 1).year}-{rng.randint(100, 999)}"]
    return order


def malformed(template: dict[str, Any]) -> list[str]:
    """Records the worker must dead-letter, one per kind of fault."""

    def variant(**changes: Any) -> dict[str, Any]:
        copied: dict[str, Any] = json.loads(json.dumps({**template, **changes}))
        return copied

    missing = variant()
    del missing["lines"]
    duplicate = variant(order_id="SO-BAD-DUPLICATE-LINES")
    duplicate["lines"] = [duplicate["lines"][0], duplicate["lines"][0]]
    currency = variant(order_id="SO-BAD-CURRENCY")
    currency["lines"][0]["currency"] = "XYZ"
    return [
        "this is not an order",
        json.dumps(variant(order_id="SO-BAD-TRUNCATED"))[:120],
        json.dumps(missing | {"order_id": "SO-BAD-NO-LINES"}),
        json.dumps(variant(order_id="SO-BAD-COUNTRY", destination_country="XX")),
        json.dumps(duplicate),
        json.dumps(currency),
        json.dumps(variant(order_id="SO-BAD-NAIVE-TIME", event_time="2026-02-01T10:00:00")),
        json.dumps(variant(order_id="SO-BAD-NAN")).replace('"revision": 1', '"revision": NaN'),
        json.dumps([template["order_id"]]),
        json.dumps(variant(order_id="SO-BAD-TYPE", lines="none")),
    ]


def sample_lines(settings: Settings) -> list[str]:
    rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not security
    catalogue, listed = products(settings), listed_companies(settings)
    orders = [
        json.dumps(_order(rng, n + 1, catalogue, listed), ensure_ascii=False) for n in range(VALID_ORDERS)
    ]
    bad = malformed(json.loads(orders[0]))
    for offset, record in enumerate(bad):
        orders.insert(15 + offset * 17, record)
    return orders


def main() -> int:
    sys.stdout.write("\n".join(sample_lines(load_settings())) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
