"""Scores a party name against the index: weighted token overlap, typo tolerance, country agreement.

score = M / (M + a * missing + b * extra): M is the matched weight (common tokens discounted), missing
the full weight of list-name tokens the query lacks, extra the weight of query tokens the name lacks.
Missing tokens cost more than extra ones: "Mitsubishi Heavy Industries" is not "Mitsubishi Heavy
Industries Shipbuilding", but "MHI Shipbuilding Co. Nagasaki" may well be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import _CacheInfo as CacheInfo
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler, Levenshtein

from pipeline.enrichment.parties.index import IndexedName, NameIndex
from pipeline.enrichment.parties.model import ListEntry

MISSING_LIST_WEIGHT = 1.5
EXTRA_QUERY_WEIGHT = 0.3
TYPO_SIMILARITY = 0.88
COUNTRY_AGREES_BONUS = 0.2  # share of the remaining distance to 1.0
COUNTRY_DISAGREES_PENALTY = 0.08


@dataclass(frozen=True, slots=True)
class NameMatch:
    entry: ListEntry
    score: float
    matched_name: str
    explanation: str


@dataclass(frozen=True, slots=True)
class _TokenHit:
    query_token: str
    list_token: str
    similarity: float


class Matcher:
    def __init__(self, index: NameIndex, potential_threshold: float, cache_size: int = 65536) -> None:
        self.index = index
        self.potential_threshold = potential_threshold
        self._cached: Callable[[tuple[str, ...], str | None], tuple[NameMatch, ...]] = lru_cache(
            maxsize=cache_size
        )(self._match_tokens)

    def match(
        self, name: str, country: str | None = None, *, use_cache: bool = True
    ) -> tuple[NameMatch, ...]:
        """Entries whose best name scores at least the potential threshold, best first."""
        tokens = self.index.normaliser.tokens(name)
        if not tokens:
            return ()
        return self._cached(tokens, country) if use_cache else self._match_tokens(tokens, country)

    def cache_info(self) -> CacheInfo:
        return self._cached.cache_info()  # type: ignore[attr-defined,no-any-return]

    def clear_cache(self) -> None:
        self._cached.cache_clear()  # type: ignore[attr-defined]

    def _token_hits(self, tokens: tuple[str, ...]) -> list[_TokenHit]:
        index = self.index
        hits: list[_TokenHit] = []
        for token in tokens:
            if token in index.postings:
                hits.append(_TokenHit(token, token, 1.0))
                continue
            for neighbour in index.typo_neighbours(token):
                # Jaro-Winkler favours shared prefixes; Levenshtein catches early slips ("iternational").
                similarity = max(
                    JaroWinkler.normalized_similarity(token, neighbour),
                    Levenshtein.normalized_similarity(token, neighbour),
                )
                if similarity >= TYPO_SIMILARITY:
                    hits.append(_TokenHit(token, neighbour, similarity))
        return hits

    def _match_tokens(self, tokens: tuple[str, ...], country: str | None) -> tuple[NameMatch, ...]:
        index = self.index
        hits = self._token_hits(tokens)
        if not hits:
            return ()
        rare = [h for h in hits if len(index.postings[h.list_token]) <= index.common_cutoff]
        usable = rare or hits
        # name id -> list token -> best hit on it
        candidates: dict[int, dict[str, _TokenHit]] = {}
        for hit in usable:
            for name_id in index.postings[hit.list_token]:
                found = candidates.setdefault(name_id, {})
                best = found.get(hit.list_token)
                if best is None or hit.similarity > best.similarity:
                    found[hit.list_token] = hit
        query_weight = sum(index.query_weight(t) for t in tokens)
        best_by_entry: dict[int, NameMatch] = {}
        for name_id, matched in candidates.items():
            name = index.names[name_id]
            for hit in hits:
                if hit not in rare and hit.list_token in name.weights and hit.list_token not in matched:
                    matched[hit.list_token] = hit
            score = self._score(name, matched, query_weight)
            entry = index.entries[name.entry_index]
            score = _country_adjusted(score, country, entry.country)
            if score < self.potential_threshold:
                continue
            current = best_by_entry.get(name.entry_index)
            if current is None or score > current.score:
                best_by_entry[name.entry_index] = NameMatch(
                    entry, round(score, 4), name.text, _explain(name.text, matched, country, entry.country)
                )
        return tuple(sorted(best_by_entry.values(), key=lambda m: (-m.score, m.entry.entry_id)))

    def _score(self, name: IndexedName, matched: dict[str, _TokenHit], query_weight: float) -> float:
        list_matched = sum(name.weights[t] * h.similarity for t, h in matched.items())
        list_covered = sum(name.full_weights[t] * h.similarity for t, h in matched.items())
        query_tokens: dict[str, float] = {}
        for hit in matched.values():
            query_tokens[hit.query_token] = max(query_tokens.get(hit.query_token, 0.0), hit.similarity)
        query_matched = sum(self.index.query_weight(t) * s for t, s in query_tokens.items())
        missing = max(name.total_full_weight - list_covered, 0.0)
        extra = max(query_weight - query_matched, 0.0)
        denominator = list_matched + MISSING_LIST_WEIGHT * missing + EXTRA_QUERY_WEIGHT * extra
        return list_matched / denominator if denominator > 0 else 0.0


def _country_adjusted(score: float, party_country: str | None, listed_country: str | None) -> float:
    if not party_country or not listed_country:
        return score
    if party_country == listed_country:
        return score + (1.0 - score) * COUNTRY_AGREES_BONUS
    return max(score - COUNTRY_DISAGREES_PENALTY, 0.0)


def _explain(
    listed: str, matched: dict[str, _TokenHit], party_country: str | None, listed_country: str | None
) -> str:
    parts = []
    for hit in matched.values():
        if hit.similarity >= 1.0:
            parts.append(hit.list_token)
        else:
            parts.append(f"{hit.query_token}~{hit.list_token} ({hit.similarity:.2f})")
    text = f"name ~ {listed!r}: matched {', '.join(parts)}"
    if party_country and listed_country:
        text += (
            "; country agrees" if party_country == listed_country else f"; country differs ({listed_country})"
        )
    return text
