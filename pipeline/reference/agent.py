"""Every worker reads every reference topic whole, outside the consumer group, and keeps it current.

Reference topics have one partition and are compacted, so a worker starting later reads the latest
version of each data set. The first read (up to the end offsets at start) is applied in one rebuild;
then each update is offered as it arrives. A refused update is published to `reference.errors` and
the version in force stays. After a rule pack or party list change, `on_change` is awaited so open
orders can be screened again.

The compacted `holds.allowlist` topic (reviewers' clearances) is read the same way, one batch of
records per swap (`ReferenceStore.offer_clearances`); a record that cannot be used is refused on
`reference.errors` with its key and the reason, and each change after the first read is handed to
`on_clearances` so the orders it concerns can be screened again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pipeline.enrichment.parties.clearances import ClearanceChange
from pipeline.kafka import clients
from pipeline.kafka.topics import REFERENCE_KINDS
from pipeline.reference.store import Applied, ReferenceStore, Refused, Unchanged
from pipeline.settings import Settings
from schemas.reference import ReferenceEnvelope, ReferenceKind, ReferenceRefusal

log = logging.getLogger(__name__)

RESCREEN_KINDS = frozenset({ReferenceKind.RULES, ReferenceKind.PARTIES})
ALLOWLIST_KIND = "allowlist"
Offered = Applied | Unchanged | Refused
AllowlistRecord = tuple[str, bytes | None]


class ReferenceWatcher:
    """Reads the reference topics into the store; `loaded` is set once the first read is applied."""

    def __init__(
        self,
        settings: Settings,
        store: ReferenceStore,
        publish_refusal: Callable[[ReferenceRefusal], Awaitable[Any]],
        on_change: Callable[[ReferenceKind], Awaitable[Any]] | None = None,
        on_clearances: Callable[[list[ClearanceChange]], Awaitable[Any]] | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._publish_refusal = publish_refusal
        self._on_change = on_change
        self._on_clearances = on_clearances
        self.loaded = asyncio.Event()
        self.worker_name = f"{socket.gethostname()}:{settings.web_port}"

    async def run(self) -> None:
        """Follow the reference topics for the worker's lifetime; reconnect after a failure."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception:  # the data in force stays in force while the topics are unreachable
                log.exception("reading the reference topics failed; retrying")
                await asyncio.sleep(2.0)

    async def _follow(self) -> None:
        from aiokafka import TopicPartition

        names = [self._settings.topics.reference(kind) for kind in REFERENCE_KINDS]
        names.append(self._settings.topics.allowlist)
        consumer = clients.async_consumer(
            self._settings,
            "reference",
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=2 * 1024 * 1024,
        )
        await consumer.start()
        try:
            partitions = [TopicPartition(name, 0) for name in names]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            await self._initial_load(consumer, partitions)
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for tp, records in batch.items():
                    if tp.topic == self._settings.topics.allowlist:
                        await self._clear([_allowlist_record(r) for r in records], initial=False)
                        continue
                    for record in records:
                        envelope = await self._decode(record.value)
                        if envelope is not None:
                            await self._report(await self._offer([envelope]), initial=False)
        finally:
            await consumer.stop()

    async def _initial_load(self, consumer: Any, partitions: list[Any]) -> None:
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp, end in ends.items() if end > 0}
        found: list[ReferenceEnvelope] = []
        clearances: list[AllowlistRecord] = []
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batch.items():
                if tp.topic == self._settings.topics.allowlist:
                    clearances.extend(_allowlist_record(r) for r in records)
                else:
                    for record in records:
                        envelope = await self._decode(record.value)
                        if envelope is not None:
                            found.append(envelope)
            # By position, not by the last record's offset: the review applier writes the allowlist
            # in transactions, whose commit markers take offsets but are never handed out as records.
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        if clearances:
            await self._clear(clearances, initial=not self.loaded.is_set())
        if found:
            # After a reconnect, changes made meanwhile still trigger re-screening.
            await self._report(await self._offer(found), initial=not self.loaded.is_set())
        self.loaded.set()

    async def _offer(self, envelopes: list[ReferenceEnvelope]) -> list[Offered]:
        # Building a snapshot parses and indexes whole files: keep it off the event loop.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._store.offer_all, envelopes)

    async def _clear(self, records: list[AllowlistRecord], *, initial: bool) -> None:
        # Cheap (no list parsing): swapped on the event loop, between two orders, never during one.
        changes, refused = self._store.offer_clearances(records)
        kept = self._store.clearances.current.version
        for refusal in refused:
            await self._refuse(ALLOWLIST_KIND, refusal.key[:200], refusal.reason, kept)
        if changes:
            log.info("allowlist now %s (%d clearances changed)", kept, len(changes))
            if not initial and self._on_clearances is not None:
                await self._on_clearances(changes)

    async def _decode(self, value: bytes | None) -> ReferenceEnvelope | None:
        if value is None:
            return None
        try:
            return ReferenceEnvelope.model_validate_json(value)
        except ValidationError as exc:
            await self._refuse("unknown", "unreadable envelope", str(exc)[:2000])
            return None

    async def _refuse(self, kind: str, version: str, reason: str, kept: str | None = None) -> None:
        log.warning("reference %s %s refused: %s", kind, version, reason)
        await self._publish_refusal(
            ReferenceRefusal(
                kind=kind,
                refused_version=version,
                kept_version=kept,
                reason=reason,
                worker=self.worker_name,
                at=datetime.now(UTC),
            )
        )

    async def _report(self, results: list[Offered], *, initial: bool) -> None:
        for result in results:
            if isinstance(result, Refused):
                await self._refuse(result.kind.value, result.version, result.reason, result.kept_version)
            elif isinstance(result, Applied):
                log.info("reference %s now %s (was %s)", result.kind, result.version, result.previous_version)
                if not initial and result.kind in RESCREEN_KINDS and self._on_change is not None:
                    await self._on_change(result.kind)


def _allowlist_record(record: Any) -> AllowlistRecord:
    key = record.key.decode(errors="replace") if record.key is not None else ""
    return key, record.value
