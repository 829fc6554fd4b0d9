"""Loaders for the three list formats: the MOFCOM sample CSV, OpenSanctions FtM JSON lines, operator CSV.

Every loader refuses a malformed file as a whole with `ListFileError` (file, line, reason): a list
half-loaded is worse than the previous version staying in force.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeline.enrichment.parties.countries import to_alpha2
from pipeline.enrichment.parties.errors import ListFileError
from pipeline.enrichment.parties.model import ListEntry, entry_id_for

MOFCOM_COLUMNS = ("list", "type", "name", "alias", "chinese_name", "country", "date_listed")
OPERATOR_COLUMNS = ("id", "name", "aliases", "country", "program", "listed_from", "listed_to", "reason")
FTM_PARTY_SCHEMAS = frozenset({"Person", "Company", "Organization", "LegalEntity", "PublicBody"})
ALIAS_SEPARATOR = ";"


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(ALIAS_SEPARATOR) if part.strip())


def _dmy(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    for pattern in ("%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    msg = f"date {value!r} is neither DD.MM.YYYY nor DD.MM.YY"
    raise ValueError(msg)


def _iso(value: str) -> date | None:
    text = value.strip()
    return date.fromisoformat(text) if text else None


def _csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ListFileError(path, None, f"cannot read: {exc.strerror}") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in required if column not in header]
            if missing:
                raise ListFileError(path, 1, f"missing columns: {', '.join(missing)}")
            for row in reader:
                if None in row:
                    raise ListFileError(path, reader.line_num, "more fields than columns")
                yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ListFileError(path, None, f"not a readable CSV file: {exc}") from exc


def load_mofcom_csv(path: Path, programs: Mapping[str, str]) -> list[ListEntry]:
    """The MOFCOM compilation (OpenSanctions `cn_sanctions` layout): one row per designation."""
    entries: list[ListEntry] = []
    for line, row in _csv_rows(path, MOFCOM_COLUMNS):
        try:
            if not row["name"]:
                msg = "empty name"
                raise ValueError(msg)
            program = programs.get(row["list"])
            if program is None:
                msg = f"unknown list {row['list']!r}"
                raise ValueError(msg)
            listed_from = _dmy(row["date_listed"])
            aliases = _split(row["alias"]) + ((row["chinese_name"],) if row["chinese_name"] else ())
            entries.append(
                ListEntry(
                    entry_id=entry_id_for(row["list"], row["name"], listed_from),
                    list_name=row["list"],
                    program=program,
                    name=row["name"],
                    aliases=aliases,
                    country=to_alpha2(row["country"]),
                    entity_type=row["type"] or "Company",
                    listed_from=listed_from,
                    listed_to=_dmy(row.get("end_date", "")),
                    source_url=row.get("source_url") or None,
                    summary=row.get("summary", ""),
                    address=row.get("address", ""),
                )
            )
        except ValueError as exc:
            raise ListFileError(path, line, str(exc)) from exc
    return entries


def load_operator_csv(path: Path, programs: Mapping[str, str]) -> list[ListEntry]:  # noqa: ARG001
    """The operator's own list: id,name,aliases,country,program,listed_from,listed_to,reason."""
    entries: list[ListEntry] = []
    seen: set[str] = set()
    for line, row in _csv_rows(path, OPERATOR_COLUMNS):
        try:
            if not row["id"] or not row["name"] or not row["program"]:
                msg = "id, name and program are required"
                raise ValueError(msg)
            if row["id"] in seen:
                msg = f"duplicate id {row['id']!r}"
                raise ValueError(msg)
            seen.add(row["id"])
            entries.append(
                ListEntry(
                    entry_id=row["id"],
                    list_name=path.stem,
                    program=row["program"],
                    name=row["name"],
                    aliases=_split(row["aliases"]),
                    country=to_alpha2(row["country"]),
                    entity_type="Company",
                    listed_from=_iso(row["listed_from"]),
                    listed_to=_iso(row["listed_to"]),
                    summary=row["reason"],
                )
            )
        except ValueError as exc:
            raise ListFileError(path, line, str(exc)) from exc
    return entries


def _first(props: Mapping[str, Any], key: str) -> str:
    values = props.get(key) or []
    return str(values[0]).strip() if values else ""


def load_ftm_jsonl(path: Path, programs: Mapping[str, str]) -> list[ListEntry]:  # noqa: ARG001
    """OpenSanctions FollowTheMoney entities: one entry per Sanction, names from its subject entity."""
    parties: dict[str, dict[str, Any]] = {}
    sanctions: list[tuple[int, dict[str, Any]]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ListFileError(path, None, f"cannot read: {exc}") from exc
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ListFileError(path, line, f"invalid JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or not record.get("id") or not record.get("schema"):
            raise ListFileError(path, line, "an entity needs an id and a schema")
        if not isinstance(record.get("properties", {}), dict):
            raise ListFileError(path, line, "properties must be an object")
        record["_line"] = line
        if record["schema"] == "Sanction":
            sanctions.append((line, record))
        elif record["schema"] in FTM_PARTY_SCHEMAS:
            parties[record["id"]] = record
    entries: list[ListEntry] = []
    for line, sanction in sanctions:
        props = sanction.get("properties", {})
        subject = parties.get(_first(props, "entity"))
        if subject is None:
            raise ListFileError(path, line, f"sanction names unknown entity {_first(props, 'entity')!r}")
        try:
            entries.append(_ftm_entry(sanction["id"], subject, props))
        except ValueError as exc:
            raise ListFileError(path, line, str(exc)) from exc
    return entries


def _ftm_entry(sanction_id: str, subject: dict[str, Any], props: Mapping[str, Any]) -> ListEntry:
    subject_props = subject.get("properties", {})
    names = [str(n).strip() for n in subject_props.get("name", []) if str(n).strip()]
    if not names:
        msg = f"entity {subject['id']!r} has no name"
        raise ValueError(msg)
    program = _first(props, "programId") or _first(subject_props, "programId")
    if not program:
        msg = "sanction has no programId"
        raise ValueError(msg)
    aliases = [str(a).strip() for a in subject_props.get("alias", []) if str(a).strip()]
    return ListEntry(
        entry_id=sanction_id,
        list_name=_first(props, "program") or program,
        program=program,
        name=names[0],
        aliases=tuple(names[1:] + aliases),
        country=to_alpha2(_first(subject_props, "country")),
        entity_type=str(subject["schema"]),
        listed_from=_iso(_first(props, "startDate")[:10]),
        listed_to=_iso(_first(props, "endDate")[:10]),
        source_url=_first(props, "sourceUrl") or None,
        summary=_first(subject_props, "notes"),
        address=_first(subject_props, "address"),
    )


Loader = Callable[[Path, Mapping[str, str]], list[ListEntry]]


def loader_for(path: Path) -> Loader:
    """Pick the loader from the file name and, for CSV, the header."""
    suffix = path.suffix.lower()
    if suffix in {".json", ".jsonl", ".ftm", ".ijson"}:
        return load_ftm_jsonl
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig") as handle:
                header = handle.readline()
        except (OSError, UnicodeDecodeError) as exc:
            raise ListFileError(path, None, f"cannot read: {exc}") from exc
        return load_operator_csv if "listed_from" in header else load_mofcom_csv
    raise ListFileError(path, None, f"unknown list format {suffix!r} (expected .csv or .jsonl)")


def load_list_file(path: Path, programs: Mapping[str, str]) -> list[ListEntry]:
    return loader_for(path)(path, programs)
