"""Sanity check on list refresh: a list that suddenly shrinks is quarantined until an operator confirms."""

from __future__ import annotations

from pipeline.enrichment.parties.errors import ListShrinkRefusedError
from pipeline.enrichment.parties.model import PartyList


def shrink_share(previous: PartyList, candidate: PartyList) -> float:
    """Share of the previous version's entries that the candidate version no longer has."""
    if not previous.entries:
        return 0.0
    kept = {e.entry_id for e in candidate.entries}
    dropped = sum(1 for e in previous.entries if e.entry_id not in kept)
    return dropped / len(previous.entries)


def check_shrink(
    previous: PartyList | None, candidate: PartyList, max_share: float, *, confirmed: bool
) -> None:
    """Refuse `candidate` when it drops more than `max_share` of `previous`, unless confirmed."""
    if previous is None or confirmed:
        return
    share = shrink_share(previous, candidate)
    if share > max_share:
        raise ListShrinkRefusedError(
            ", ".join(candidate.sources) or "party lists",
            None,
            f"new version {candidate.version} drops {share:.0%} of the {len(previous)} entries of "
            f"{previous.version} (limit {max_share:.0%}); quarantined until confirmed",
        )
