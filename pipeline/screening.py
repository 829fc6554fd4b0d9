"""The screening facade the worker, the offline `screen` command and the benchmarks call.

`Screener.screen` takes a validated order and returns its decision record. `build_screener` wires
enrichment, the rule engine and the decision stage from the reference data named in the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from pipeline.decisions.record import build_decision
from pipeline.enrichment.end_use import classify_end_use
from pipeline.enrichment.enrich import Enricher
from pipeline.enrichment.parties.clearances import ClearanceBook
from pipeline.enrichment.parties.screener import load_party_screener
from pipeline.enrichment.party_master import PartyMaster
from pipeline.enrichment.products import ProductMaster
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.engine import evaluate
from pipeline.rules.loader import load_pack
from pipeline.settings import Settings
from schemas.decision import DecisionRecord
from schemas.order import OrderEvent


class Screener(Protocol):
    def screen(self, order: OrderEvent, *, as_of: date | None = None) -> DecisionRecord: ...


class VersionedScreener(Protocol):
    """A reference snapshot's screener: the live screener hands it every data set's version to record."""

    @property
    def versions(self) -> dict[str, str]: ...

    def screen(
        self, order: OrderEvent, *, as_of: date | None = None, versions: Mapping[str, str] | None = None
    ) -> DecisionRecord: ...


class EngineScreener:
    """Enrich, evaluate against the pack in force, decide. Immutable: reloads build a new one."""

    __slots__ = ("enricher", "pack")

    def __init__(self, enricher: Enricher, pack: CompiledPack) -> None:
        self.enricher = enricher
        self.pack = pack

    @property
    def versions(self) -> dict[str, str]:
        return {**self.enricher.versions, "rules": self.pack.version_label}

    def screen(
        self, order: OrderEvent, *, as_of: date | None = None, versions: Mapping[str, str] | None = None
    ) -> DecisionRecord:
        """The decision for `order`, recording `versions` if given, else the enrichment's and the pack's."""
        enriched = self.enricher.enrich(order, as_of=as_of)
        findings = evaluate(enriched, self.pack)
        return build_decision(enriched, findings, rules_version=self.pack.version_label, versions=versions)


def build_enricher(settings: Settings, clearances: ClearanceBook | None = None) -> Enricher:
    """Enrichment from the reference files in `settings`: product master, party master, party lists
    (screening owners through the party master, silencing what `clearances` clear) and the end-use
    classifier."""
    party_master = PartyMaster.load(settings.party_master_file)
    return Enricher(
        products=ProductMaster.load(settings.products_file),
        party_master=party_master,
        party_screener=load_party_screener(settings, party_master.owner, clearances),
        classify_end_use=classify_end_use,
    )


def build_screener(settings: Settings, clearances: ClearanceBook | None = None) -> EngineScreener:
    """Load and validate the rule pack and reference data; any refused file stops start-up."""
    return EngineScreener(build_enricher(settings, clearances), load_pack(settings.rules_file))
