"""Ownership chains from the party master: owners holding 50 % or more, nearest first."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.enrichment.enriched import PartyFacts

CONTROLLING_SHARE = 0.5
MAX_CHAIN = 5

OwnerLookup = Callable[[str], PartyFacts | None]


def controlling_owners(party: PartyFacts, lookup: OwnerLookup) -> list[PartyFacts]:
    """Owners up the chain while each link holds >= 50 %; stops at cycles and unknown parents."""
    owners: list[PartyFacts] = []
    seen = {party.party_id} if party.party_id else set()
    current = party
    while (
        len(owners) < MAX_CHAIN and current.parent_id and (current.parent_share or 0.0) >= CONTROLLING_SHARE
    ):
        if current.parent_id in seen:
            break
        owner = lookup(current.parent_id)
        if owner is None:
            break
        seen.add(current.parent_id)
        owners.append(owner)
        current = owner
    return owners
