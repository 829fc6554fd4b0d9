"""Compose the product master, party master, party screening and end-use classification into the
`EnrichedOrder` the rule engine evaluates.

Components arrive as constructor arguments (structural protocols), so the worker can swap reference
data on hot reload and tests can pass fakes. A missing component is not an error here: it becomes a
gap on the enriched order, and the engine holds such an order (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Protocol

from pipeline.enrichment.enriched import EndUseFacts, EnrichedOrder, LineFacts, PartyFacts, PartyHit
from pipeline.enrichment.products import ProductMaster
from schemas.order import EndUse, OrderEvent, OrderLine, Party


class PartyMasterLike(Protocol):
    @property
    def version(self) -> str: ...

    def facts(self, role: str, party: Party) -> PartyFacts: ...


class PartyScreenerLike(Protocol):
    @property
    def version(self) -> str: ...

    def screen(self, parties: Sequence[PartyFacts], as_of: date) -> tuple[PartyHit, ...]: ...


EndUseClassifier = Callable[[EndUse, PartyFacts | None, tuple[PartyFacts, ...]], EndUseFacts]


def _plain_facts(role: str, party: Party) -> PartyFacts:
    return PartyFacts(role=role, name=party.name, country=party.country, party_id=party.party_id)


def line_facts(line: OrderLine, products: ProductMaster | None) -> LineFacts:
    """The order line's own codes, completed (never overridden) by the product master's."""
    product = products.get(line.sku) if products is not None else None
    codes: tuple[str, ...] = (line.control_code,) if line.control_code else ()
    from_order = bool(codes or line.hs_code or line.tech_entry)
    if product is not None:
        codes += tuple(c for c in product.control_codes if c not in codes)
    hs_code = line.hs_code or (product.hs_code if product else None)
    tech_entry = line.tech_entry or (product.tech_entry if product else None)
    source = "order" if from_order else ("product-master" if product is not None else "")
    return LineFacts(
        line_id=line.line_id,
        description=line.description,
        control_codes=codes,
        hs_code=hs_code,
        tech_entry=tech_entry,
        origin_country=line.origin_country or (product.origin_country if product else None),
        cn_rare_earth_share=line.cn_rare_earth_share
        if line.cn_rare_earth_share is not None
        else (product.cn_rare_earth_share if product else None),
        quantity=line.quantity,
        unit=line.unit,
        value=line.value,
        currency=line.currency,
        classified=bool(codes or hs_code or tech_entry or product is not None),
        classification_source=source,
        made_with_cn_re_technology=product.made_with_cn_re_technology if product else False,
        product_description=product.description if product else "",
    )


class Enricher:
    def __init__(
        self,
        *,
        products: ProductMaster | None,
        party_master: PartyMasterLike | None,
        party_screener: PartyScreenerLike | None,
        classify_end_use: EndUseClassifier | None,
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self.products = products
        self.party_master = party_master
        self.party_screener = party_screener
        self.classify_end_use = classify_end_use
        self._versions = dict(versions or {})
        if products is not None:
            self._versions["products"] = products.version
        if party_master is not None:
            self._versions["party-master"] = party_master.version
        if party_screener is not None:
            self._versions["parties"] = party_screener.version
        # The components never change after construction (a reload builds a new Enricher).
        self._missing = self._gaps()

    @property
    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def _gaps(self) -> tuple[str, ...]:
        missing = (
            ("product master", self.products),
            ("party master", self.party_master),
            ("party lists", self.party_screener),
            ("end-use classifier", self.classify_end_use),
        )
        return tuple(f"{name} not loaded" for name, component in missing if component is None)

    def enrich(self, order: OrderEvent, *, as_of: date | None = None) -> EnrichedOrder:
        when = as_of or order.as_of
        facts_of = self.party_master.facts if self.party_master is not None else _plain_facts
        parties = tuple(facts_of(role, party) for role, party in order.parties())
        hits = self.party_screener.screen(parties, when) if self.party_screener is not None else ()
        cleared: tuple[PartyHit, ...] = ()
        if any(hit.clearance is not None for hit in hits):
            cleared = tuple(hit for hit in hits if hit.clearance is not None)
            hits = tuple(hit for hit in hits if hit.clearance is None)
        end_user = next((p for p in parties if p.role == "end_user"), None)
        if self.classify_end_use is not None:
            end_use = self.classify_end_use(order.end_use, end_user, parties)
        else:
            end_use = EndUseFacts(declared=bool(order.end_use.code or order.end_use.description))
        return EnrichedOrder(
            order=order,
            as_of=when,
            lines=tuple(line_facts(line, self.products) for line in order.lines),
            parties=parties,
            party_hits=hits,
            cleared_hits=cleared,
            end_use=end_use,
            versions=dict(self._versions),
            gaps=self._missing,
        )
