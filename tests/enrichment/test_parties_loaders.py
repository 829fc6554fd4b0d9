"""Each list loader, and malformed files refused with file, line and reason."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.loaders import load_list_file
from pipeline.enrichment.parties.screener import load_party_list, load_programs
from pipeline.settings import Settings

MOFCOM_HEADER = "list,type,name,alias,chinese_name,country,date_listed,end_date,summary,source_url,address\n"
OPERATOR_HEADER = "id,name,aliases,country,program,listed_from,listed_to,reason\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_mofcom_list_loads_every_row_with_programs_countries_and_dates() -> None:
    party_list = load_party_list(Settings().party_list_files)
    assert len(party_list) == 273
    assert Counter(e.program for e in party_list.entries) == {
        "CN-ECL": 153,
        "CN-UEL": 66,
        "CN-ECWL": 40,
        "CN-CML": 14,
    }
    by_name = {(e.name, e.program): e for e in party_list.entries}
    lockheed_uel = by_name[("Lockheed Martin Corporation", "CN-UEL")]
    assert lockheed_uel.listed_from == date(2023, 2, 16)  # DD.MM.YY
    assert lockheed_uel.country == "US"
    shipbuilding = by_name[("Mitsubishi Heavy Industries Shipbuilding Co.", "CN-ECL")]
    assert shipbuilding.country == "JP"  # "Japan" in the file
    assert "三菱造船株式会社" in shipbuilding.aliases
    assert by_name[("OMNIPOL a.s.", "CN-ECL")].country == "CZ"  # "Czech Republic"
    assert by_name[("JMU Defense Systems Co., Ltd.", "CN-ECL")].listed_from == date(2026, 2, 24)
    assert by_name[("UAB Urbo Bankas", "CN-CML")].listed_to == date(2026, 4, 24)
    assert by_name[("Teal Drones, Inc.", "CN-ECL")].aliases[:2] == ("Teal Drones", "iDrone")


def test_list_version_is_a_content_hash() -> None:
    first = load_party_list(Settings().party_list_files)
    second = load_party_list(Settings().party_list_files)
    assert first.version == second.version
    assert first.version.startswith("parties-")


def test_operator_csv_loads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "own-list.csv",
        OPERATOR_HEADER
        + "OWN-1,Acme Drone Works,Acme Drones;ACME UAV,US,OWN-DENY,2026-01-01,,internal denial\n"
        + "OWN-2,Beta Optics GmbH,,Germany,OWN-REVIEW,2025-05-05,2026-05-05,expired review\n",
    )
    entries = load_list_file(path, load_programs())
    assert [(e.entry_id, e.program, e.country) for e in entries] == [
        ("OWN-1", "OWN-DENY", "US"),
        ("OWN-2", "OWN-REVIEW", "DE"),
    ]
    assert entries[0].aliases == ("Acme Drones", "ACME UAV")
    assert entries[1].listed_to == date(2026, 5, 5)
    assert entries[0].list_name == "own-list"


def test_opensanctions_ftm_jsonl_loads_one_entry_per_sanction(tmp_path: Path) -> None:
    records = [
        {
            "id": "cn-sanc-mhi-ship",
            "schema": "Company",
            "properties": {
                "name": ["Mitsubishi Heavy Industries Shipbuilding Co."],
                "alias": ["三菱造船株式会社"],
                "country": ["jp"],
            },
        },
        {
            "id": "cn-sanc-s1",
            "schema": "Sanction",
            "properties": {
                "entity": ["cn-sanc-mhi-ship"],
                "program": ["List of Export Controls"],
                "programId": ["CN-ECL"],
                "startDate": ["2026-02-24"],
                "sourceUrl": ["https://www.mofcom.gov.cn/example"],
            },
        },
        {
            "id": "cn-sanc-s2",
            "schema": "Sanction",
            "properties": {
                "entity": ["cn-sanc-mhi-ship"],
                "programId": ["CN-UEL"],
                "startDate": ["2025-01-01"],
                "endDate": ["2025-06-01"],
            },
        },
    ]
    path = _write(tmp_path, "cn.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    entries = sorted(load_list_file(path, load_programs()), key=lambda e: e.entry_id)
    assert [(e.entry_id, e.program, e.country, e.listed_from) for e in entries] == [
        ("cn-sanc-s1", "CN-ECL", "JP", date(2026, 2, 24)),
        ("cn-sanc-s2", "CN-UEL", "JP", date(2025, 1, 1)),
    ]
    assert entries[0].aliases == ("三菱造船株式会社",)
    assert entries[1].listed_to == date(2025, 6, 1)


MALFORMED = [
    (
        "bad-date.csv",
        MOFCOM_HEADER + "UEL,Company,Acme,,,US,16.02.23,,,,\nUEL,Company,Beta,,,US,2023-02-16,,,,\n",
        3,
        "neither DD.MM.YYYY nor DD.MM.YY",
    ),
    ("unknown-list.csv", MOFCOM_HEADER + "Secret List,Company,Acme,,,US,16.02.23,,,,\n", 2, "unknown list"),
    ("bad-country.csv", MOFCOM_HEADER + "UEL,Company,Acme,,,Atlantis,16.02.23,,,,\n", 2, "unknown country"),
    ("empty-name.csv", MOFCOM_HEADER + "UEL,Company,,,,US,16.02.23,,,,\n", 2, "empty name"),
    ("missing-columns.csv", "list,name\nUEL,Acme\n", 1, "missing columns"),
    ("dup.csv", OPERATOR_HEADER + "A,Acme,,US,X,,,r\nA,Beta,,US,X,,,r\n", 3, "duplicate id"),
    (
        "bad-json.jsonl",
        '{"id": "a", "schema": "Company", "properties": {}}\n{"id": "b", \n',
        2,
        "invalid JSON",
    ),
    (
        "orphan.jsonl",
        '{"id": "s", "schema": "Sanction", "properties": {"entity": ["nobody"], "programId": ["CN-ECL"]}}\n',
        1,
        "unknown entity",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "reason"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_list_file_is_refused_with_file_line_and_reason(
    tmp_path: Path, name: str, text: str, line: int, reason: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ListFileError) as refused:
        load_list_file(path, load_programs())
    assert refused.value.path == str(path)
    assert refused.value.line == line
    assert reason in refused.value.reason
    assert f"{path}:{line}" in str(refused.value)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "list.xlsx", "")
    with pytest.raises(ListFileError, match="unknown list format"):
        load_list_file(path, load_programs())
