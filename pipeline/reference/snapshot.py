"""One consistent set of reference data and the screener built from it.

A snapshot is immutable: an update builds a whole new snapshot (validating every file on the way)
and the store swaps it in with one assignment, so an order is always screened against one version of
everything. Published files are written under the worker's data directory and handed to the same
loaders the file-based start-up uses, so both paths validate alike.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from types import MappingProxyType

import yaml

from pipeline.enrichment.parties.clearances import ClearanceBook
from pipeline.enrichment.products import ProductMaster, ProductMasterError
from pipeline.screening import VersionedScreener, build_screener
from pipeline.settings import Settings
from schemas.decision import DecisionRecord, Outcome, Reason, Route
from schemas.licence import Licence, LicenceFile
from schemas.order import OrderEvent
from schemas.reference import REQUIRED_KINDS, ReferenceEnvelope, ReferenceKind, content_hash

MISSING_REFERENCE_RULE = "pipeline.reference-missing"
_DEFAULT_SUFFIX = {ReferenceKind.PARTIES: ".csv"}


class ReferenceRefusedError(Exception):
    """A reference update failed validation; the snapshot in force stays."""


class MissingReferenceScreener:
    """Holds every order while a rule pack or party list is missing: the pipeline fails closed."""

    def __init__(self, missing: frozenset[ReferenceKind]) -> None:
        self.missing = missing

    @property
    def versions(self) -> dict[str, str]:
        return {}

    def screen(
        self, order: OrderEvent, *, as_of: date | None = None, versions: Mapping[str, str] | None = None
    ) -> DecisionRecord:
        names = ", ".join(sorted(self.missing))
        return DecisionRecord(
            decision_id=str(uuid.uuid4()),
            order_id=order.order_id,
            revision=order.revision,
            route=Route.HOLD,
            as_of=as_of or order.as_of,
            evaluated_at=datetime.now(UTC),
            event_time=order.event_time,
            reasons=[
                Reason(
                    rule_id=MISSING_REFERENCE_RULE,
                    title="Reference data missing",
                    outcome=Outcome.REVIEW,
                    explanation=f"The worker has not loaded: {names}; it releases nothing until it has.",
                )
            ],
            versions=dict(versions or {}),
            fail_closed=True,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    # Published data sets in force; kinds not here come from the worker's configured files.
    envelopes: Mapping[ReferenceKind, ReferenceEnvelope]
    screener: VersionedScreener
    missing: frozenset[ReferenceKind]
    products: ProductMaster | None
    licences: Mapping[str, Licence]
    versions: Mapping[str, str]

    @property
    def ready(self) -> bool:
        return not self.missing


def _materialise(settings: Settings, envelope: ReferenceEnvelope) -> Path:
    """Write the payload where the file loaders can read it; the name carries the content hash."""
    suffix = PurePath(envelope.source).suffix.lower() or _DEFAULT_SUFFIX.get(envelope.kind, ".yaml")
    folder = settings.data_dir / settings.app_id / "reference" / envelope.kind.value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{envelope.content_hash[:16]}{suffix}"
    if not path.exists():
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_text(envelope.payload, encoding="utf-8")
        partial.replace(path)
    return path


def parse_licences(text: str) -> LicenceFile:
    try:
        return LicenceFile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValueError) as exc:
        msg = f"licence file refused: {exc}"
        raise ReferenceRefusedError(msg) from exc


def _check_party_list(path: Path) -> None:
    from pipeline.enrichment.parties.screener import load_party_list

    try:
        entries = load_party_list((path,))
    except Exception as exc:  # the list loaders raise their own error family
        msg = f"party list refused: {exc}"
        raise ReferenceRefusedError(msg) from exc
    if not len(entries):
        msg = "party list refused: it has no entries"
        raise ReferenceRefusedError(msg)


def guard_party_list_shrink(
    settings: Settings, in_force: Mapping[ReferenceKind, ReferenceEnvelope], candidate: ReferenceEnvelope
) -> None:
    """Quarantine a party list that drops more than the allowed share of the list in force.

    Official lists rarely shrink much overnight; a feed that suddenly loses entries is more likely
    broken than a mass delisting, so it waits for an operator's confirmation (`--confirm-shrink`).
    """
    from pipeline.enrichment.parties.errors import ListShrinkRefusedError
    from pipeline.enrichment.parties.guard import check_shrink
    from pipeline.enrichment.parties.screener import load_party_list

    held = in_force.get(ReferenceKind.PARTIES)
    if held is not None:
        previous_paths: tuple[Path, ...] = (_materialise(settings, held),)
    elif settings.party_list_files and all(path.is_file() for path in settings.party_list_files):
        previous_paths = tuple(settings.party_list_files)
    else:
        return
    _check_party_list(_materialise(settings, candidate))
    previous = load_party_list(previous_paths)
    incoming = load_party_list((_materialise(settings, candidate),))
    try:
        check_shrink(previous, incoming, settings.party_list_max_shrink, confirmed=candidate.confirmed_shrink)
    except ListShrinkRefusedError as exc:
        msg = f"party list quarantined: {exc}"
        raise ReferenceRefusedError(msg) from exc


def _file_kinds(settings: Settings) -> set[ReferenceKind]:
    """Data sets the worker's own files provide until a published version replaces them."""
    kinds = set()
    if settings.rules_file.is_file():
        kinds.add(ReferenceKind.RULES)
    if settings.party_list_files and all(path.is_file() for path in settings.party_list_files):
        kinds.add(ReferenceKind.PARTIES)
    return kinds


def _products(settings: Settings, envelope: ReferenceEnvelope | None) -> ProductMaster | None:
    try:
        if envelope is not None:
            return ProductMaster.parse(envelope.payload, envelope.source)
        return ProductMaster.load(settings.products_file) if settings.products_file.is_file() else None
    except ProductMasterError as exc:
        msg = f"product master refused: {exc}"
        raise ReferenceRefusedError(msg) from exc


def _licences(
    settings: Settings, envelope: ReferenceEnvelope | None
) -> tuple[LicenceFile | None, str | None]:
    if envelope is not None:
        return parse_licences(envelope.payload), envelope.version
    if not settings.licences_file.is_file():
        return None, None
    text = settings.licences_file.read_text(encoding="utf-8")
    parsed = parse_licences(text)
    return parsed, f"{parsed.version}+{content_hash(text)[:8]}"


def build_snapshot(
    settings: Settings,
    envelopes: Mapping[ReferenceKind, ReferenceEnvelope],
    clearances: ClearanceBook | None = None,
) -> Snapshot:
    """Validate every data set and build the screener, or raise `ReferenceRefusedError`.

    Published data sets replace the worker's configured files kind by kind; a required kind that is
    neither published nor on disk leaves the worker not ready, holding every order. The party
    screener reads the clearances in force from `clearances` (the store's, fed by the allowlist topic).
    """
    paths = {kind: _materialise(settings, env) for kind, env in envelopes.items()}
    overrides: dict[str, object] = {}
    if ReferenceKind.RULES in paths:
        overrides["rules_file"] = paths[ReferenceKind.RULES]
    if ReferenceKind.PARTIES in paths:
        _check_party_list(paths[ReferenceKind.PARTIES])
        overrides["party_list_files"] = (paths[ReferenceKind.PARTIES],)
    if ReferenceKind.PARTY_MASTER in paths:
        overrides["party_master_file"] = paths[ReferenceKind.PARTY_MASTER]
    if ReferenceKind.PRODUCTS in paths:
        overrides["products_file"] = paths[ReferenceKind.PRODUCTS]
    effective = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
    products = _products(effective, envelopes.get(ReferenceKind.PRODUCTS))
    licence_file, licences_version = _licences(effective, envelopes.get(ReferenceKind.LICENCES))
    missing = frozenset(REQUIRED_KINDS - envelopes.keys() - _file_kinds(effective))
    screener: VersionedScreener = MissingReferenceScreener(missing)
    if not missing:
        try:
            screener = build_screener(effective, clearances)
        except Exception as exc:  # every loader has its own error type; any of them refuses the update
            msg = f"{type(exc).__name__}: {exc}"
            raise ReferenceRefusedError(msg) from exc
    versions = {kind.value: env.version for kind, env in envelopes.items()}
    if licences_version is not None:
        versions[ReferenceKind.LICENCES.value] = licences_version
    return Snapshot(
        envelopes=MappingProxyType(dict(envelopes)),
        screener=screener,
        missing=missing,
        products=products,
        licences=MappingProxyType(licence_file.by_number() if licence_file else {}),
        versions=MappingProxyType(versions),
    )
