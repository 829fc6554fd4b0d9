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

from pipeline.enrichment.parties.index import NameIndex
from pipeline.enrichment.parties.model import ListEntry

MISSING_LIST_WEIGHT = 1.5
EXTRA_QUERY_WEIGHT = 0.5
TYPO_SIMILARITY = 0.88
# A name whose matched tokens cover less than this share of its weight cannot score 0.75: skip it early.
MIN_COVERED_SHARE = 0.5
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
        # Repeated parties skip normalisation too: the raw name is the first cache key.
        self._tokens: Callable[[str], tuple[str, ...]] = lru_cache(maxsize=cache_size)(
            index.normaliser.tokens
        )
        self._cached: Callable[[tuple[str, ...], str | None], tuple[NameMatch, ...]] = lru_cache(
            maxsize=cache_size
        )(self._match_tokens)

    def match(
        self, name: str, country: str | None = None, *, use_cache: bool = True
    ) -> tuple[NameMatch, ...]:
        """Entries whose best name scores at least the potential threshold, best first."""
        tokens = self._tokens(name) if use_cache else self.index.normaliser.tokens(name)
        if not tokens:
            return ()
        return self._cached(tokens, country) if use_cache else self._match_tokens(tokens, country)

    def cache_info(self) -> CacheInfo:
        return self._cached.cache_info()  # type: ignore[attr-defined,no-any-return]

    def clear_cache(self) -> None:
        self._cached.cache_clear()  # type: ignore[attr-defined]
        self._tokens.cache_clear()  # type: ignore[attr-defined]

    def _token_hits(self, tokens: tuple[str, ...]) -> list[_TokenHit]:
        """Exact or typo matches of the query tokens, one (the best) per list token."""
        index = self.index
        best: dict[str, _TokenHit] = {}
        for token in tokens:
            if token in index.postings:
                best[token] = _TokenHit(token, token, 1.0)
                continue
            for neighbour in index.typo_neighbours(token):
                # Jaro-Winkler favours shared prefixes; Levenshtein catches early slips ("iternational").
                similarity = max(
                    JaroWinkler.normalized_similarity(token, neighbour),
                    Levenshtein.normalized_similarity(token, neighbour),
                )
                current = best.get(neighbour)
                if similarity >= TYPO_SIMILARITY and (current is None or similarity > current.similarity):
                    best[neighbour] = _TokenHit(token, neighbour, similarity)
        return list(best.values())

    def _match_tokens(self, tokens: tuple[str, ...], country: str | None) -> tuple[NameMatch, ...]:
        index = self.index
        hits = self._token_hits(tokens)
        if not hits:
            return ()
        query_weight = sum(index.query_weight(t) for t in tokens)
        if self._best_possible(hits, query_weight) < self.potential_threshold:
            return ()
        sums, common = self._candidates(hits)
        best_by_entry: dict[int, NameMatch] = {}
        for name_id, found in sums.items():
            name = index.names[name_id]
            for hit in common:
                if hit.list_token in name.full_weights:
                    gains = self._gains(hit)
                    found[0] += gains[0]
                    found[1] += gains[1]
                    found[2] += gains[2]
            matched, covered, query_matched = found
            if covered < MIN_COVERED_SHARE * name.total_full_weight:
                continue  # cannot reach the potential threshold whatever the rest
            missing = max(name.total_full_weight - covered, 0.0)
            extra = max(query_weight - query_matched, 0.0)
            score = matched / (matched + MISSING_LIST_WEIGHT * missing + EXTRA_QUERY_WEIGHT * extra)
            entry = index.entries[name.entry_index]
            score = _country_adjusted(score, country, entry.country)
            if score < self.potential_threshold:
                continue
            current = best_by_entry.get(name.entry_index)
            if current is None or score > current.score:
                on_name = [h for h in hits if h.list_token in name.full_weights]
                explanation = _explain(name.text, on_name, country, entry.country)
                best_by_entry[name.entry_index] = NameMatch(entry, round(score, 4), name.text, explanation)
        return tuple(sorted(best_by_entry.values(), key=lambda m: (-m.score, m.entry.entry_id)))

    def _candidates(self, hits: list[_TokenHit]) -> tuple[dict[int, list[float]], list[_TokenHit]]:
        """Name id -> [matched weight, covered full weight, matched query weight] from the rare hits,
        and the common hits still to be added on those names."""
        index = self.index
        rare = [h for h in hits if len(index.postings[h.list_token]) <= index.common_cutoff]
        if not rare:
            # Only common tokens: a candidate must carry all of them but one, or it cannot score.
            return {name_id: [0.0, 0.0, 0.0] for name_id in self._nearly_all(hits)}, hits
        sums: dict[int, list[float]] = {}
        for hit in rare:
            gains = self._gains(hit)
            for name_id in index.postings[hit.list_token]:
                found = sums.get(name_id)
                if found is None:
                    sums[name_id] = list(gains)
                else:
                    found[0] += gains[0]
                    found[1] += gains[1]
                    found[2] += gains[2]
        return sums, [h for h in hits if h not in rare]

    def _best_possible(self, hits: list[_TokenHit], query_weight: float) -> float:
        """Upper bound of any name's score: every hit matched, only unmatched query tokens missing."""
        matched = sum(self._gains(h)[0] for h in hits)
        query_matched = sum(self._gains(h)[2] for h in hits)
        extra = max(query_weight - query_matched, 0.0)
        bound = matched / (matched + EXTRA_QUERY_WEIGHT * extra) if matched > 0 else 0.0
        return bound + (1.0 - bound) * COUNTRY_AGREES_BONUS

    def _nearly_all(self, hits: list[_TokenHit]) -> set[int]:
        postings = [set(self.index.postings[h.list_token]) for h in hits]
        if len(postings) == 1:
            return postings[0]
        found: set[int] = set()
        for skipped in range(len(postings)):
            rest = [p for i, p in enumerate(postings) if i != skipped]
            found |= set.intersection(*rest)
        return found

    def _gains(self, hit: _TokenHit) -> tuple[float, float, float]:
        index = self.index
        return (
            index.weight[hit.list_token] * hit.similarity,
            index.full_weight[hit.list_token] * hit.similarity,
            index.query_weight(hit.query_token) * hit.similarity,
        )


def _country_adjusted(score: float, party_country: str | None, listed_country: str | None) -> float:
    if not party_country or not listed_country:
        return score
    if party_country == listed_country:
        return score + (1.0 - score) * COUNTRY_AGREES_BONUS
    return max(score - COUNTRY_DISAGREES_PENALTY, 0.0)


def _explain(
    listed: str, matched: list[_TokenHit], party_country: str | None, listed_country: str | None
) -> str:
    parts = []
    for hit in matched:
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
