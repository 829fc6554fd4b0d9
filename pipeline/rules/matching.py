"""Which rules' item selectors cover an order line, at the precision each measure states.

Independent of the date: the engine applies the rule states afterwards. Memoised per line
classification, since orders repeat a finite catalogue of items.
"""

from __future__ import annotations

from functools import lru_cache

from pipeline.enrichment.enriched import LineFacts
from pipeline.rules.compiled import CompiledPack, CompiledRule, ItemMatch, LineKey, LineMatches

_ORIGIN_CHINA = "CN"
_TECHNOLOGY_TYPE = "E"

# How a line met a rule: the engine treats a match on reference-only customs codes more cautiously.
BY_CODE = "code"
BY_HS = "hs"
# A customs code printed for items of several rules that neither the line's control code nor its
# description resolves: every such match holds for review.
BY_SHARED_HS = "shared-hs"
BY_TECH = "tech"
BY_CONTENT = "content"
BY_DESCRIPTION = "description"
# A declared customs code less precise than the measure's numbers under it that neither control code
# nor description resolves to the measure's item: held for review.
BY_BROADER_HS = "broader-hs"
# The description names a good of the measure (element or material and its form).
BY_ITEM_WORDS = "item-words"
# ... of a measure whose thresholds the words cannot check: held for review.
BY_ITEM_WORDS_THRESHOLDS = "item-words-thresholds"
# Matches that identify the item as one the measure lists (the line is then a dual-use item).
_IDENTIFYING = frozenset({BY_CODE, BY_HS, BY_ITEM_WORDS})
# Matches on customs codes that only point at the measure: a control code owned by another measure
# in force identifies the item and dismisses them.
_REFERENCE_ONLY = frozenset({BY_HS, BY_BROADER_HS})

Found = dict[CompiledRule, tuple[str, str, int]]


@lru_cache(maxsize=4096)
def control_code_chain(code: str) -> tuple[str, ...]:
    """`1C902.a.1` -> (`1C902.a.1`, `1C902.a`, `1C902`): every paragraph that covers the code."""
    parts = code.split(".")
    return tuple(".".join(parts[:i]) for i in range(len(parts), 0, -1))


def matching_key(line: LineFacts) -> LineKey:
    """What item matching reads of a line: lines with the same key meet the same rules."""
    return (
        line.control_codes,
        line.hs_code,
        line.tech_entry,
        line.origin_country,
        line.cn_rare_earth_share,
        line.description,
        line.product_description,
        line.made_with_cn_re_technology,
    )


def line_matches(pack: CompiledPack, line: LineFacts) -> LineMatches:
    """The rules whose item selectors cover the line, in pack order; memoised per classification."""
    key = matching_key(line)
    cached = pack.cached_matches(key)
    if cached is not None:
        return cached
    text = line.description
    if line.product_description:
        text = f"{text} | {line.product_description}"
    words = pack.descriptions.found(text) if pack.descriptions else frozenset()
    technology = _is_technology(pack, line, text)
    found: Found = {}
    umbrella = _code_matches(pack, line, words, found)
    if line.hs_code:
        _hs_matches(pack, line, words, found)
        _broader_hs_matches(pack, line, words, found)
    if line.tech_entry:
        _tech_matches(pack, line.tech_entry, found)
    _content_matches(pack, line, words if not technology else frozenset(), found)
    _description_matches(pack, words, technology=technology, found=found)
    if not technology:
        _item_word_matches(pack, words, found)
    if technology:
        for rule in pack.technology_rules:
            found.setdefault(rule, (BY_DESCRIPTION, "technology line", 0))
    longest = {r.index: length for r, (how, _, length) in found.items() if how == BY_HS and _names(r)}
    code_owners = frozenset(
        r.index for r, (how, _, _) in found.items() if how == BY_CODE and r.lists_dual_use
    )
    matches = tuple(
        ItemMatch(
            rule,
            how,
            matched,
            rule.lists_dual_use and how in _IDENTIFYING and not (how == BY_HS and rule.hs_reference_only),
            _more_precise(rule, how, length, longest) | _dismissed_by_code(rule, how, code_owners),
        )
        for rule, (how, matched, length) in sorted(found.items(), key=_match_order)
    )
    result = LineMatches(
        matches,
        umbrella=umbrella,
        rule_indexes=frozenset(rule.index for rule in found),
        technology=technology,
    )
    pack.remember_matches(key, result)
    return result


def _names(rule: CompiledRule) -> bool:
    return rule.lists_dual_use and not rule.hs_reference_only


def _more_precise(rule: CompiledRule, how: str, length: int, longest: dict[int, int]) -> frozenset[int]:
    if how != BY_HS or not rule.hs_reference_only:
        return frozenset()
    return frozenset(index for index, other in longest.items() if other > length and index != rule.index)


def _dismissed_by_code(rule: CompiledRule, how: str, code_owners: frozenset[int]) -> frozenset[int]:
    """A customs code that only points at this measure yields to the measures owning the line's
    control code (samarium metal `1C902.a` under No. 57's reference line 28053019 is No. 18's)."""
    if rule.index in code_owners or not code_owners:
        return frozenset()
    if how == BY_BROADER_HS or (how == BY_HS and rule.hs_reference_only):
        return code_owners
    return frozenset()


def _match_order(item: tuple[CompiledRule, tuple[str, str, int]]) -> int:
    return item[0].index


def _is_technology(pack: CompiledPack, line: LineFacts, text: str) -> bool:
    """A technology line: a catalogue entry, an E-type control code, or technology words on a line
    whose customs code (if any) is a carrier of technical data rather than a good."""
    if line.tech_entry or any(code[1:2] == _TECHNOLOGY_TYPE for code in line.control_codes):
        return True
    if line.hs_code and not line.hs_code.startswith(pack.technology_carriers):
        return False
    return bool(pack.technology_markers) and bool(pack.technology_markers.found(text))


def _code_matches(pack: CompiledPack, line: LineFacts, words: frozenset[str], found: Found) -> bool:
    """Match control codes; True when some code of the line no measure of the pack owns (the
    umbrella list rule then covers the line)."""
    umbrella = False
    for code in line.control_codes:
        owned = False
        for paragraph in control_code_chain(code):
            for rule in pack.by_control_code.get(paragraph, ()):
                found.setdefault(rule, (BY_CODE, f"control code {code}", 0))
                owned = owned or rule.lists_dual_use
            for rule in pack.by_shared_code.get(paragraph, ()):
                if rule.item_terms & words:
                    what = f"control code {code} with {', '.join(sorted(rule.item_terms & words))}"
                    found.setdefault(rule, (BY_CODE, what, 0))
        umbrella = umbrella or not owned
    return umbrella


def _hs_matches(pack: CompiledPack, line: LineFacts, words: frozenset[str], found: Found) -> None:
    hs = line.hs_code or ""
    for length in pack.hs_prefix_lengths:
        if length > len(hs):
            continue
        prefix = hs[:length]
        shared = pack.hs_shared.get(prefix)
        resolved = _resolve_shared(pack, line, words, shared) if shared else None
        for rule in pack.by_hs_prefix.get(prefix, ()):
            if shared is None:
                found.setdefault(rule, (BY_HS, f"customs code {hs}", length))
                continue
            origins = pack.hs_origins.get((prefix, rule.index), frozenset())
            if resolved is None:
                names = ", ".join(pack.rules[i].id for i in sorted(shared))
                found.setdefault(rule, (BY_SHARED_HS, f"customs code {hs} (printed for: {names})", length))
            elif origins & resolved:
                found.setdefault(rule, (BY_HS, f"customs code {hs}, item resolved", length))


def _broader_hs_matches(pack: CompiledPack, line: LineFacts, words: frozenset[str], found: Found) -> None:
    """A customs code less precise than numbers rules print under it (8-digit line, 10-digit listed
    numbers) cannot clear the line: the rules whose item the control code or description names
    cover it; if none is named, every such rule holds it for review."""
    hs = line.hs_code or ""
    candidates = pack.hs_broader.get(hs)
    if not candidates:
        return
    printed = frozenset(origin for _, origins in candidates for origin in origins)
    resolved = _resolve_shared(pack, line, words, printed) or frozenset()
    named = [(index, origins) for index, origins in candidates if origins & resolved]
    for index, _ in named:
        found.setdefault(pack.rules[index], (BY_HS, f"customs code {hs}, item resolved", 10))
    # A description naming another measure's item identifies the line: it is no longer unknown.
    if named or any(rule.item_terms & words for rule in pack.rules):
        return
    for index, origins in candidates:
        listed = ", ".join(pack.rules[i].id for i in sorted(origins))
        what = f"customs code {hs} (less precise than numbers printed under it by {listed})"
        found.setdefault(pack.rules[index], (BY_BROADER_HS, what, len(hs)))


def _item_word_matches(pack: CompiledPack, words: frozenset[str], found: Found) -> None:
    """Goods lines whose description names an item of a measure (element or material and its form)."""
    if not words:
        return
    for rule in pack.described_rules:
        if rule in found:
            continue
        best: tuple[str, str, int] | None = None
        for groups, thresholds in rule.described:
            hits = [group & words for group in groups]
            if not all(hits):
                continue
            named = ", ".join(sorted(w for group in hits for w in group))
            how = BY_ITEM_WORDS_THRESHOLDS if thresholds else BY_ITEM_WORDS
            best = (how, f"description names {named}", 0)
            if not thresholds:
                break
        if best is not None:
            found[rule] = best


def _resolve_shared(
    pack: CompiledPack, line: LineFacts, words: frozenset[str], shared: frozenset[int]
) -> frozenset[int] | None:
    """Which of the rules printing a shared customs code the line's item belongs to: by control
    code first, else by the words of its description; None when neither tells."""
    by_code = frozenset(
        index
        for index in shared
        if any(
            paragraph in pack.rules[index].own_control_codes
            for code in line.control_codes
            for paragraph in control_code_chain(code)
        )
    )
    if line.control_codes:
        return by_code or None
    by_words = frozenset(index for index in shared if pack.rules[index].item_terms & words)
    return by_words or None


def _tech_matches(pack: CompiledPack, entry: str, found: Found) -> None:
    for rule in pack.by_tech_entry.get(entry, ()):
        found.setdefault(rule, (BY_TECH, f"technology entry {entry}", 0))
    for rule in pack.by_tech_kind.get(entry[-1], ()):
        if entry not in rule.exclude_tech_entries:
            found.setdefault(rule, (BY_TECH, f"technology entry {entry}", 0))


def _content_matches(pack: CompiledPack, line: LineFacts, words: frozenset[str], found: Found) -> None:
    if line.origin_country == _ORIGIN_CHINA:
        return
    # A description saying the item was made with Chinese rare-earth technology speaks of an item
    # made abroad (made in China it would be an ordinary export), unless the origin says China.
    groups = pack.foreign_direct_groups
    described = bool(groups) and all(group & words for group in groups)
    if described and not line.made_with_cn_re_technology:
        where = f"made in {line.origin_country}" if line.origin_country else "made abroad"
        for rule in pack.foreign_direct:
            text = f"{where} with Chinese rare-earth technology, as the description says"
            found.setdefault(rule, (BY_CONTENT, text, 0))
    if not line.origin_country:
        return
    share = line.cn_rare_earth_share
    if share is not None:
        for rule in pack.foreign_made:
            if rule.foreign_made_min_share is not None and share >= rule.foreign_made_min_share:
                text = f"made in {line.origin_country}, Chinese rare-earth value share {share:.4g}"
                found.setdefault(rule, (BY_CONTENT, text, 0))
    if line.made_with_cn_re_technology:
        for rule in pack.foreign_direct:
            text = f"made in {line.origin_country} with Chinese rare-earth technology"
            found.setdefault(rule, (BY_CONTENT, text, 0))


def _description_matches(
    pack: CompiledPack, words: frozenset[str], *, technology: bool, found: Found
) -> None:
    if not words:
        return
    for rule in pack.description_rules:
        if rule.technology_only and not technology:
            continue
        hits = [group & words for group in rule.description_groups]
        if all(hits):
            named = ", ".join(sorted(w for group in hits for w in group))
            found.setdefault(rule, (BY_DESCRIPTION, f"description names {named}", 0))
