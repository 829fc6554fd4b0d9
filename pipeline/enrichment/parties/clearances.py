"""The clearances a worker screens with: the optional seed file overlaid with the `holds.allowlist` topic.

The topic is compacted and keyed by (list entry, name as sent): the latest record of a key is the
clearance in force, a tombstone revokes it. A batch of records builds one new `Allowlist` that
replaces the one in force with a single assignment, so an order is screened against one version.
A record that cannot be read is refused with its key and the reason; the clearance it would have
replaced stays in force.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from pipeline.enrichment.parties.allowlist import ActiveClearance, Allowlist
from schemas.review import AllowlistEntry, allowlist_key


class AllowlistRecordError(ValueError):
    """One allowlist record the worker cannot use; the message says why."""


@dataclass(frozen=True, slots=True)
class ClearanceChange:
    """A key whose clearance was added, replaced or revoked (`after` None)."""

    key: str
    before: ActiveClearance | None
    after: ActiveClearance | None


@dataclass(frozen=True, slots=True)
class RefusedRecord:
    key: str
    reason: str


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        msg = f"{name} carries no UTC offset"
        raise AllowlistRecordError(msg)


def clearance_of(key: str, value: bytes) -> ActiveClearance:
    """The clearance an allowlist record grants, or `AllowlistRecordError` with the reason."""
    try:
        entry = AllowlistEntry.model_validate_json(value)
    except ValidationError as exc:
        msg = f"not an allowlist entry: {exc}"
        raise AllowlistRecordError(msg) from exc
    if allowlist_key(entry) != key:
        msg = f"record key {key!r} is not its entry's key {allowlist_key(entry)!r}"
        raise AllowlistRecordError(msg)
    if not entry.party_key or not entry.entry_hash:
        msg = "no party_key or entry_hash: the cleared party cannot be told; clear the match again"
        raise AllowlistRecordError(msg)
    _aware("expires_at", entry.expires_at)
    _aware("cleared_at", entry.cleared_at)
    if not entry.cleared_by.strip() or not entry.reason.strip():
        msg = "a clearance names who cleared it and why"
        raise AllowlistRecordError(msg)
    return ActiveClearance(
        clearance_id=entry.review_id,
        party_key=entry.party_key,
        entry_id=entry.entry_id,
        entry_hash=entry.entry_hash,
        cleared_by=entry.cleared_by,
        cleared_at=entry.cleared_at,
        reason=entry.reason,
        expires_at=entry.expires_at,
        order_id=entry.order_id,
    )


def _version(clearances: Iterable[ActiveClearance]) -> str:
    ordered = sorted(
        f"{c.clearance_id}|{c.party_key}|{c.entry_id}|{c.expires_at.isoformat()}" for c in clearances
    )
    digest = hashlib.sha256("\n".join(ordered).encode()).hexdigest()[:8]
    return f"{len(ordered)}+{digest}"


class ClearanceBook:
    """Seed clearances plus the topic's, as one `Allowlist` (`current`) replaced whole on each change."""

    def __init__(self, seed: Iterable[ActiveClearance] = ()) -> None:
        self._seed = tuple(seed)
        self._by_key: dict[str, ActiveClearance] = {}
        self.current = self._build()

    def _build(self) -> Allowlist:
        # Topic clearances override the seed's for the same (party, entry).
        merged = [*self._seed, *self._by_key.values()]
        return Allowlist(merged, version=_version(merged))

    def topic_clearances(self) -> list[tuple[str, ActiveClearance]]:
        return sorted(self._by_key.items())

    def apply(
        self, records: Sequence[tuple[str, bytes | None]]
    ) -> tuple[list[ClearanceChange], list[RefusedRecord]]:
        """Apply records in log order; one swap for the whole batch."""
        by_key = dict(self._by_key)
        changes: dict[str, ClearanceChange] = {}
        refused: list[RefusedRecord] = []
        for key, value in records:
            before = by_key.get(key)
            if value is None:
                after = None
                by_key.pop(key, None)
            else:
                try:
                    after = clearance_of(key, value)
                except AllowlistRecordError as exc:
                    refused.append(RefusedRecord(key, str(exc)[:2000]))
                    continue
                by_key[key] = after
            first = changes[key].before if key in changes else before
            changes[key] = ClearanceChange(key, first, after)
        effective = [c for c in changes.values() if c.before != c.after]
        if effective:
            self._by_key = by_key
            self.current = self._build()
        return effective, refused
