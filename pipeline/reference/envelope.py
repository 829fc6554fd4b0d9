"""Wrap reference files in envelopes: kind, version and content hash of one file, ready to publish
(`pipeline.kafka.reference`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from schemas.reference import ReferenceEnvelope, ReferenceKind, content_hash

_KIND_BY_STEM = {
    "licences": ReferenceKind.LICENCES,
    "products": ReferenceKind.PRODUCTS,
    "parties": ReferenceKind.PARTY_MASTER,
    "party-master": ReferenceKind.PARTY_MASTER,
}


class ReferenceFileError(Exception):
    """A file could not be read or its kind could not be told."""


def infer_kind(path: Path) -> ReferenceKind:
    """List files are CSV or JSON lines; YAML files are named for their data set or live under rules/."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".jsonl", ".json", ".ftm", ".ijson"}:
        return ReferenceKind.PARTIES
    if suffix in {".yaml", ".yml"}:
        if path.stem in _KIND_BY_STEM:
            return _KIND_BY_STEM[path.stem]
        if path.parent.name == "rules":
            return ReferenceKind.RULES
    msg = f"{path.name}: cannot tell the reference kind; pass --kind"
    raise ReferenceFileError(msg)


def _declared_version(text: str) -> str | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if isinstance(data, dict) and data.get("version") is not None:
        return str(data["version"])
    return None


def envelope_for(
    path: Path, kind: ReferenceKind | None = None, *, now: datetime | None = None
) -> ReferenceEnvelope:
    """The envelope for one file; its version is the declared one (if any) plus the content hash."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: cannot read: {exc}"
        raise ReferenceFileError(msg) from exc
    kind = kind or infer_kind(path)
    digest = content_hash(text)
    declared = _declared_version(text) if path.suffix.lower() in {".yaml", ".yml"} else None
    version = f"{declared or path.stem}+{digest[:8]}"
    return ReferenceEnvelope(
        kind=kind,
        version=version[:200],
        content_hash=digest,
        published_at=now or datetime.now(UTC),
        source=path.name,
        payload=text,
    )
