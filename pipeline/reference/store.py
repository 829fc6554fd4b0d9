"""The reference data a worker screens with: offered updates are validated, then swapped atomically.

`ReferenceStore.offer` builds a complete new snapshot from the current data sets plus the update; if
anything refuses it, the snapshot in force stays and the caller gets the reason to publish. Reads
(`current`) never lock: a snapshot is immutable and replaced by a single assignment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial

from pipeline.enrichment.parties.allowlist import load_seed
from pipeline.enrichment.parties.clearances import ClearanceBook, ClearanceChange, RefusedRecord
from pipeline.reference.snapshot import (
    ReferenceRefusedError,
    Snapshot,
    build_snapshot,
    guard_party_list_shrink,
)
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent
from schemas.reference import ReferenceEnvelope, ReferenceKind

SnapshotBuilder = Callable[[Settings, Mapping[ReferenceKind, ReferenceEnvelope]], Snapshot]


@dataclass(frozen=True, slots=True)
class Applied:
    kind: ReferenceKind
    version: str
    previous_version: str | None


@dataclass(frozen=True, slots=True)
class Unchanged:
    kind: ReferenceKind
    version: str


@dataclass(frozen=True, slots=True)
class Refused:
    kind: ReferenceKind
    version: str
    kept_version: str | None
    reason: str


class ReferenceStore:
    def __init__(self, settings: Settings, builder: SnapshotBuilder | None = None) -> None:
        self._settings = settings
        # Clearances change far more often than lists: they are swapped in on their own, without
        # rebuilding the snapshot, and every party screener the store builds reads them.
        seed = load_seed(settings.party_allowlist_file) if settings.party_allowlist_file else ()
        self.clearances = ClearanceBook(seed)
        self._builder = builder or partial(build_snapshot, clearances=self.clearances)
        self._current = self._builder(settings, {})

    @property
    def current(self) -> Snapshot:
        return self._current

    def offer(self, envelope: ReferenceEnvelope) -> Applied | Unchanged | Refused:
        """Validate `envelope` together with the other data sets in force and swap it in."""
        in_force = self._current.envelopes.get(envelope.kind)
        kept = in_force.version if in_force is not None else None
        if in_force is not None and in_force.content_hash == envelope.content_hash:
            return Unchanged(envelope.kind, in_force.version)
        try:
            if envelope.kind is ReferenceKind.PARTIES:
                guard_party_list_shrink(self._settings, self._current.envelopes, envelope)
            snapshot = self._builder(self._settings, {**self._current.envelopes, envelope.kind: envelope})
        except ReferenceRefusedError as exc:
            return Refused(envelope.kind, envelope.version, kept, str(exc)[:2000])
        self._current = snapshot
        return Applied(envelope.kind, envelope.version, kept)

    def offer_all(self, envelopes: Iterable[ReferenceEnvelope]) -> list[Applied | Unchanged | Refused]:
        """Apply several updates with one rebuild (start-up); if that is refused, one at a time."""
        latest = {envelope.kind: envelope for envelope in envelopes}
        fresh = {
            kind: env
            for kind, env in latest.items()
            if (held := self._current.envelopes.get(kind)) is None or held.content_hash != env.content_hash
        }
        # A new party list goes through `offer`, which applies the shrink guard against the list in force.
        if len(fresh) > 1 and ReferenceKind.PARTIES not in fresh:
            before = self._current.envelopes
            try:
                self._current = self._builder(self._settings, {**before, **fresh})
            except ReferenceRefusedError:
                pass
            else:
                return [
                    Applied(kind, env.version, before[kind].version if kind in before else None)
                    for kind, env in fresh.items()
                ]
        return [self.offer(envelope) for envelope in latest.values()]

    def offer_clearances(
        self, records: Sequence[tuple[str, bytes | None]]
    ) -> tuple[list[ClearanceChange], list[RefusedRecord]]:
        """Apply allowlist records (key, value or None for a tombstone) with one swap."""
        return self.clearances.apply(records)


class LiveScreener:
    """The worker's screener: always the one of the snapshot in force, with every data set's version."""

    def __init__(self, store: ReferenceStore) -> None:
        self._store = store
        # The versions recorded depend on the snapshot and the clearances only: merged once per change.
        self._versions: tuple[Snapshot | None, str, dict[str, str]] = (None, "", {})

    def versions(self, snapshot: Snapshot, allowlist: str) -> dict[str, str]:
        """The screener's own versions (sorted by kind), then the snapshot's, then the allowlist's."""
        held, held_allowlist, versions = self._versions
        if held is not snapshot or held_allowlist != allowlist:
            own = dict(sorted(snapshot.screener.versions.items()))
            versions = {**own, **snapshot.versions, "allowlist": allowlist}
            self._versions = (snapshot, allowlist, versions)
        return versions

    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord:
        snapshot = self._store.current
        # Clearances are swapped on the event loop, as screening runs: both see the same version.
        allowlist = self._store.clearances.current.version
        return snapshot.screener.screen(order, as_of=as_of, versions=self.versions(snapshot, allowlist))
