"""Tells the observer which reference data the worker screens with, each time the snapshot changes.

Published data sets carry their publication time; the worker's own files count as published when
they were last modified (the rule pack: its publication date), so a restart does not reset their age.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from pipeline.enrichment.parties.screener import load_programs
from pipeline.flow.processing import SCREENING_FAILED_RULE
from pipeline.licences.outcome import DRAWN_RULE, EXHAUSTED_RULE, NOT_ON_FILE_RULE
from pipeline.licences.requests import NO_COVER_RULE
from pipeline.reference.snapshot import MISSING_REFERENCE_RULE, Snapshot
from pipeline.screening import EngineScreener
from pipeline.settings import Settings
from pipeline.worker.observer import PipelineObserver
from schemas.reference import ReferenceKind

# Rule ids the pipeline itself writes into findings, on top of the loaded pack's.
PIPELINE_RULE_IDS = (
    SCREENING_FAILED_RULE,
    MISSING_REFERENCE_RULE,
    DRAWN_RULE,
    EXHAUSTED_RULE,
    NOT_ON_FILE_RULE,
    NO_COVER_RULE,
)


def _file_kind_paths(settings: Settings) -> dict[str, tuple[Path, ...]]:
    return {
        ReferenceKind.RULES.value: (settings.rules_file,),
        ReferenceKind.PARTIES.value: settings.party_list_files,
        ReferenceKind.PARTY_MASTER.value: (settings.party_master_file,),
        ReferenceKind.PRODUCTS.value: (settings.products_file,),
        ReferenceKind.LICENCES.value: (settings.licences_file,),
    }


def _modified_at(paths: tuple[Path, ...]) -> datetime:
    times = [path.stat().st_mtime for path in paths if path.is_file()]
    return datetime.fromtimestamp(max(times), UTC) if times else datetime.now(UTC)


class ReferenceReporter:
    """Reports a snapshot's data sets once; `sync` is cheap when the snapshot has not changed."""

    def __init__(self, settings: Settings, observer: PipelineObserver) -> None:
        self._files = _file_kind_paths(settings)
        self._observer = observer
        self._reported: Snapshot | None = None
        self._programs = frozenset(load_programs().values())

    def sync(self, snapshot: Snapshot) -> None:
        if snapshot is self._reported:
            return
        self._reported = snapshot
        screener = snapshot.screener
        if not isinstance(screener, EngineScreener):
            return  # a rule pack or party list is missing: nothing is screening yet
        versions = {**screener.versions, **snapshot.versions}
        for kind, version in sorted(versions.items()):
            published_at = self._published_at(snapshot, kind)
            if kind == ReferenceKind.RULES.value:
                if ReferenceKind.RULES not in snapshot.envelopes:
                    published_at = datetime.combine(screener.pack.published, time(), UTC)
                rule_ids = [rule.id for rule in screener.pack.rules]
                self._observer.rule_pack_loaded(version, rule_ids, published_at)
            elif kind == ReferenceKind.PARTIES.value:
                self._observer.party_lists_loaded(version, self._programs, published_at)
            else:
                self._observer.reference_loaded(kind, version, published_at)

    def _published_at(self, snapshot: Snapshot, kind: str) -> datetime:
        for envelope_kind, envelope in snapshot.envelopes.items():
            if envelope_kind.value == kind:
                return envelope.published_at
        return _modified_at(self._files.get(kind, ()))
