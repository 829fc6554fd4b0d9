"""Wrap reference files in envelopes and publish them to their compacted `reference.<kind>` topics.

The record key is the kind, so compaction keeps the latest version of each data set and a worker
starting later reads exactly one value per kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from pipeline.settings import Settings
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


def publish(settings: Settings, envelopes: Iterable[ReferenceEnvelope], *, timeout: float = 30.0) -> None:
    """Send every envelope and wait until the broker has them all."""
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.app_id}-reference",
        max_request_size=2 * 1024 * 1024,
    )
    try:
        futures = [
            producer.send(
                settings.topics.reference(envelope.kind.value),
                key=envelope.kind.value.encode(),
                value=envelope.model_dump_json().encode(),
            )
            for envelope in envelopes
        ]
        for future in futures:
            future.get(timeout=timeout)
    finally:
        producer.close(timeout=timeout)
