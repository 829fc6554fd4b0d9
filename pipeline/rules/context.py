"""Order-level facts every rule condition reads, computed once per order instead of once per line."""

from __future__ import annotations

from functools import lru_cache

from pipeline.enrichment.enriched import EnrichedOrder, PartyHit
from pipeline.rules.compiled import CompiledRule, ConditionResult
from pipeline.rules.terms import TermIndex

# The exporter is the party the controls bind, not a recipient they protect against.
_EXPORTER = "exporter"
_RANK = {"low": 0, "medium": 1, "high": 2}


@lru_cache(maxsize=1024)
def expand_classes(classes: frozenset[str]) -> frozenset[str]:
    """`humanitarian.medical` also counts as `humanitarian`, so rules can name either level."""
    expanded = set(classes)
    for name in classes:
        parts = name.split(".")
        expanded.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(expanded)


_NO_WORDS: frozenset[str] = frozenset()

# What a rule without order conditions returns: shared, since it carries no evidence.
UNCONDITIONAL = ConditionResult((), None)


class OrderContext:
    """The destination, end user, end use and party-list hits of one order, with a per-rule cache."""

    __slots__ = (
        "_cache",
        "destination",
        "end_use_classes",
        "end_use_declared",
        "end_use_words",
        "end_user_categories",
        "end_user_country",
        "hits",
    )

    def __init__(self, order: EnrichedOrder, end_use_words: TermIndex | None = None) -> None:
        self.destination = order.order.destination_country
        end_user = next((p for p in order.parties if p.role == "end_user"), None)
        self.end_user_country = end_user.country if end_user else order.order.end_user.country
        self.end_user_categories = end_user.categories if end_user else frozenset()
        self.end_use_classes = expand_classes(order.end_use.classes)
        self.end_use_declared = order.end_use.declared
        text = order.order.end_use.description
        self.end_use_words: frozenset[str] = (
            end_use_words.found(text) if end_use_words is not None and text else _NO_WORDS
        )
        self.hits: tuple[PartyHit, ...] = (
            tuple(
                sorted(
                    (h for h in order.party_hits if h.role != _EXPORTER),
                    key=lambda h: (h.role, h.program, h.entry_id),
                )
            )
            if order.party_hits
            else ()
        )
        self._cache: dict[int, ConditionResult | None] = {}

    def conditions(self, rule: CompiledRule) -> ConditionResult | None:
        """Evidence when every order condition of `rule` holds, else None (cached per rule)."""
        if not rule.has_order_conditions:
            return UNCONDITIONAL
        if rule.party_programs and not self.hits:
            return None
        index = rule.index
        if index in self._cache:
            return self._cache[index]
        result = self._cache[index] = self._evaluate(rule)
        return result

    def _evaluate(self, rule: CompiledRule) -> ConditionResult | None:
        evidence: list[tuple[str, str]] = []
        if rule.destination_countries or rule.end_user_countries:
            if self.destination in rule.destination_countries:
                evidence.append(("destination_country", self.destination))
            elif self.end_user_country in rule.end_user_countries:
                evidence.append(("end_user_country", self.end_user_country))
            else:
                return None
        if rule.end_user_categories or rule.end_use_classes:
            categories = sorted(rule.end_user_categories & self.end_user_categories)
            classes = sorted(rule.end_use_classes & self.end_use_classes)
            if not categories and not classes:
                return None
            if categories:
                evidence.append(("end_user_category", ",".join(categories)))
            if classes:
                evidence.append(("end_use_class", ",".join(classes)))
        if rule.end_use_terms:
            words = sorted(rule.end_use_terms & self.end_use_words)
            if not words:
                return None
            evidence.append(("end_use_text", ",".join(words)))
        party_role = None
        confidence = None
        note = None
        if rule.party_programs:
            hits = [
                h
                for h in self.hits
                if h.program in rule.party_programs
                and h.strength in rule.party_strengths
                and h.status in rule.party_statuses
                and _ownership_matches(rule.party_ownership, h)
            ]
            if not hits:
                return None
            party_role = hits[0].role
            evidence.extend((f"party:{h.role}", _describe_hit(h)) for h in hits)
            uncertain = [h.status_confidence for h in hits if h.status_confidence]
            confidence = min(uncertain, key=lambda c: _RANK.get(c, 0)) if uncertain else None
            notes = sorted({h.status_note for h in hits if h.status_note})
            note = "; ".join(notes) or None
        return ConditionResult(tuple(evidence), party_role, confidence, note)


def _ownership_matches(ownership: str, hit: PartyHit) -> bool:
    """List effects bind the listed party; a >= 50 % owned subsidiary only where a rule says so."""
    if ownership == "any":
        return True
    return (hit.via_owner is not None) == (ownership == "owned")


def _describe_hit(hit: PartyHit) -> str:
    owner = f", owned by {hit.via_owner}" if hit.via_owner else ""
    listing = f"{hit.program} {hit.entry_id}, {hit.strength}, {hit.status}{owner}"
    return f"{hit.name_sent} = {hit.listed_name} [{listing}]"
