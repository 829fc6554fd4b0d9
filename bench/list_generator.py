"""A large synthetic party list in the MOFCOM sample's CSV format, for the memory target.

The 500 MB per-worker target is stated with 50,000 list entries loaded; the bundled sample has 273.
Generated names mix Latin company and person names with Chinese renderings so the matcher's
indexes for every script are exercised, and they are deterministic for a seed.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

COLUMNS = (
    "list",
    "type",
    "name",
    "alias",
    "chinese_name",
    "country",
    "date_listed",
    "end_date",
    "summary",
    "source_url",
    "address",
)
_LISTS = ("List of Export Controls", "Export Control Watch List", "UEL", "List of Targets of Countermeasures")
_COUNTRIES = ("US", "TW", "JP", "GB", "DE", "CA", "AU", "FR", "KR", "IL")
_LATIN = (
    "Aero",
    "Astra",
    "Boreal",
    "Cobalt",
    "Dyna",
    "Ever",
    "Falcon",
    "Granite",
    "Helix",
    "Ion",
    "Jet",
    "Kinetic",
    "Lancer",
    "Meridian",
    "Nova",
    "Onyx",
    "Polar",
    "Quantum",
    "Ranger",
    "Sable",
    "Titan",
    "Ultra",
    "Vector",
    "Wolf",
    "Xeno",
    "Zenith",
)
_TRADES = ("Defense", "Systems", "Dynamics", "Aerospace", "Technologies", "Industries", "Labs", "Marine")
_FORMS = ("Inc", "Corporation", "LLC", "Ltd", "GmbH", "Co Ltd")
_GIVEN = ("James", "Maria", "Robert", "Linda", "Kenji", "Anna", "David", "Sarah", "Thomas", "Emily")
_FAMILY = ("Walker", "Tanaka", "Fischer", "Moreau", "Hughes", "Carter", "Novak", "Larsen", "Brooks", "Reyes")
_HAN = "安宝辰达东方飞峰光海恒华嘉金凯蓝联龙美明宁鹏启锐瑞盛泰天通威星兴洋宇远正志中"
_HAN_FORMS = ("公司", "有限公司", "集团", "科技公司", "防务公司")


def _han_name(rng: random.Random) -> str:
    return "".join(rng.choices(_HAN, k=rng.randint(2, 4))) + rng.choice(_HAN_FORMS)


def _row(rng: random.Random, i: int) -> dict[str, str]:
    is_person = rng.random() < 0.2
    if is_person:
        name = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)} {i}"
        kind = "Person"
    else:
        name = f"{rng.choice(_LATIN)} {rng.choice(_LATIN)} {rng.choice(_TRADES)} {i} {rng.choice(_FORMS)}"
        kind = "Company"
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2020, 2026)
    return {
        "list": rng.choice(_LISTS),
        "type": kind,
        "name": name,
        "alias": "",
        "chinese_name": _han_name(rng),
        "country": rng.choice(_COUNTRIES),
        "date_listed": f"{day:02d}.{month:02d}.{year}",
        "end_date": "",
        "summary": "Synthetic benchmark entry",
        "source_url": "",
        "address": "",
    }


def write_list(path: Path, count: int = 50_000, *, seed: int = 5) -> Path:
    """Write `count` synthetic designations to `path` (parents created) and return it."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(_row(rng, i) for i in range(count))
    return path
