"""What enrichment hands to the rule engine: the order plus everything looked up about it.

Plain frozen dataclasses with slots, not pydantic: they are built and read once per order on the
hot path, where model validation would cost more than the screening itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from schemas.order import OrderEvent


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One order line with its classification resolved from the order and the product master."""

    line_id: str
    description: str
    control_codes: tuple[str, ...]
    hs_code: str | None
    tech_entry: str | None
    origin_country: str | None
    cn_rare_earth_share: float | None
    quantity: float
    unit: str
    value: float
    currency: str
    # False when neither the order nor the product master says what the item is: fails closed.
    classified: bool
    # Where the classification came from: "order", "product-master" or "" when unclassified.
    classification_source: str = ""
    # Made outside China with Chinese rare-earth technology (product master; 2025 No. 61 item 2).
    made_with_cn_re_technology: bool = False
    # The product master's description of the SKU, read with the line's own by description rules.
    product_description: str = ""


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """A party on the order with what the party master knows about it."""

    role: str
    name: str
    country: str
    party_id: str | None = None
    # From the party master: "military", "government", "defence_industry", "research", ...
    categories: frozenset[str] = frozenset()
    parent_id: str | None = None
    parent_share: float | None = None


@dataclass(frozen=True, slots=True)
class ClearanceNote:
    """The reviewer's clearance that silenced a hit: which, who, when, why and until when."""

    clearance_id: str
    cleared_by: str
    cleared_at: datetime | None
    reason: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PartyHit:
    """A party on the order that matched a list entry, with the list status as of the order's date."""

    role: str
    name_sent: str
    party_country: str
    list_name: str
    # Program id: CN-ECL, CN-ECWL, CN-UEL, CN-CML, or the operator's own list id.
    program: str
    entry_id: str
    listed_name: str
    score: float
    # "strong" takes the list's effect; "potential" holds the order for review.
    strength: str
    # Human explanation of what matched, e.g. "name 三菱造船 = alias 三菱造船株式会社 (legal form dropped)".
    matched: str
    # Status of the listing as of the order's date: listed, suspended, stopped, cancelled.
    status: str
    # Set when the party counts as listed through a >= 50 % owner on the list.
    via_owner: str | None = None
    listing_date: date | None = None
    source_url: str | None = None
    # Below high when the status is uncertain (a suspension's end no later evidence confirms).
    status_confidence: str | None = None
    status_note: str | None = None
    # Who was screened (`allowlist.party_key`) and the entry's content as matched: a clearance names both.
    party_key: str = ""
    entry_hash: str = ""
    # Set when a reviewer's clearance silences the hit: the rules never see it, the decision cites it.
    clearance: ClearanceNote | None = None


@dataclass(frozen=True, slots=True)
class EndUseFacts:
    """Declared end use, classified from code and free text (English, Chinese, Japanese)."""

    declared: bool
    # Classes such as: military, wmd, wmd.nuclear, wmd.chemical, wmd.biological, wmd.missile,
    # terrorism, military_capability, advanced_semiconductor, military_ai, humanitarian,
    # humanitarian.medical, humanitarian.public_health, humanitarian.disaster_relief (the No. 61
    # exemption's words only), civil, civil.medical (routine medical supply).
    # Fail-closed contract with the rule pack: `end_use.unrecognised` when an end use is declared
    # (code and/or text) but no class above is found; `end_use.unknown_code` as well when the code is
    # not in the vocabulary (its text still yields whatever classes it names, sensitive or civil).
    classes: frozenset[str] = frozenset()
    # Which words or codes led to each class, for the explanation.
    evidence: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class EnrichedOrder:
    order: OrderEvent
    as_of: date
    lines: tuple[LineFacts, ...]
    parties: tuple[PartyFacts, ...]
    party_hits: tuple[PartyHit, ...] = ()
    # Hits a clearance silenced: cited in the decision, not evaluated.
    cleared_hits: tuple[PartyHit, ...] = ()
    end_use: EndUseFacts = EndUseFacts(declared=False)
    # Version of every reference data set used (rules, parties, party-master, products, licences).
    versions: dict[str, str] = field(default_factory=dict)
    # Reasons enrichment could not complete (missing reference data): the engine fails closed on them.
    gaps: tuple[str, ...] = ()
