"""Compile a validated rule pack into the plain indexes of `pipeline.rules.compiled`."""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType

from pipeline.rules.compiled import (
    CompiledExemption,
    CompiledPack,
    CompiledRule,
    CompiledSuspension,
    RuleIndex,
)
from pipeline.rules.terms import TermIndex, folded_set
from schemas.decision import Outcome
from schemas.rulepack import Rule, RulePack

# Customs codes are declared at 4 (heading) to 10 digits; shorter prefixes name no tariff line.
_SHORTEST_CUSTOMS_CODE = 4


def _compile_rule(index: int, rule: Rule) -> CompiledRule:
    scope = rule.scope
    return CompiledRule(
        index=index,
        id=rule.id,
        title=rule.title,
        summary=rule.summary,
        outcome=Outcome(rule.outcome.value),
        citation=rule.citation,
        confidence=rule.confidence.value,
        note=rule.note,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        suspensions=tuple(
            CompiledSuspension(
                s.from_, s.to, s.instrument, s.confidence.value, s.note, s.resumption is not None
            )
            for s in sorted(rule.suspensions, key=lambda s: s.from_)
        ),
        licence_types=tuple(t.value for t in rule.licence_types_allowed),
        exemptions=tuple(
            CompiledExemption(
                frozenset(e.end_use_classes),
                Outcome(e.outcome_instead.value),
                e.citation,
                e.confidence.value,
                e.note,
            )
            for e in rule.exemptions
        ),
        lists_dual_use=scope.lists_dual_use
        if scope.lists_dual_use is not None
        else bool(scope.control_codes or scope.shared_control_codes or scope.hs_codes or scope.items_of),
        any_dual_use=scope.any_dual_use,
        any_item=scope.any_item,
        any_technology=scope.any_technology,
        controlled_lines=scope.controlled_lines,
        foreign_direct_product=scope.foreign_direct_product,
        technology_only=scope.technology_only,
        description_groups=tuple(folded_set(group) for group in scope.description_terms),
        described=tuple(
            (tuple(folded_set(group) for group in item.terms), item.thresholds)
            for item in scope.described_items
        ),
        item_terms=folded_set(scope.item_terms),
        end_use_terms=folded_set(scope.end_use_terms),
        own_control_codes=frozenset(scope.control_codes),
        plain=not (rule.exemptions or rule.licence_types_allowed or scope.hs_codes_reference_only),
        residual=scope.residual,
        hs_reference_only=scope.hs_codes_reference_only,
        foreign_made_min_share=scope.foreign_made_min_cn_re_share,
        exclude_tech_entries=frozenset(scope.exclude_tech_entries),
        destination_countries=frozenset(scope.destination_countries),
        end_user_countries=frozenset(scope.end_user_countries),
        end_user_categories=frozenset(scope.end_user_categories),
        end_use_classes=frozenset(scope.end_use_classes),
        party_programs=frozenset(scope.party_programs),
        party_strengths=frozenset(s.value for s in scope.party_match),
        party_statuses=frozenset(s.value for s in scope.list_status),
        party_ownership=scope.party_ownership,
        has_order_conditions=bool(
            scope.destination_countries
            or scope.end_user_countries
            or scope.end_user_categories
            or scope.end_use_classes
            or scope.end_use_terms
            or scope.party_programs
        ),
    )


def _freeze(index: dict[str, list[CompiledRule]]) -> RuleIndex:
    return MappingProxyType({key: tuple(sorted(set(rules), key=_by_index)) for key, rules in index.items()})


def _by_index(rule: CompiledRule) -> int:
    return rule.index


def compile_pack(pack: RulePack, *, digest: str, source: str) -> CompiledPack:
    """Build the indexes. `items_of` references must already be checked by the loader."""
    compiled = tuple(_compile_rule(i, rule) for i, rule in enumerate(pack.rules))
    models = {rule.id: rule for rule in pack.rules}
    by_code: dict[str, list[CompiledRule]] = defaultdict(list)
    by_hs: dict[str, list[CompiledRule]] = defaultdict(list)
    by_tech: dict[str, list[CompiledRule]] = defaultdict(list)
    by_kind: dict[str, list[CompiledRule]] = defaultdict(list)
    by_shared: dict[str, list[CompiledRule]] = defaultdict(list)
    index_of = {rule.id: i for i, rule in enumerate(pack.rules)}
    printed_by: dict[str, set[int]] = defaultdict(set)
    origins: dict[tuple[str, int], set[int]] = defaultdict(set)
    broader: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for rule, model in zip(compiled, pack.rules, strict=True):
        scopes = [(rule.index, model.scope)]
        scopes += [(index_of[ref], models[ref].scope) for ref in model.scope.items_of]
        for origin, scope in scopes:
            for code in scope.control_codes:
                by_code[code].append(rule)
            for code in scope.shared_control_codes:
                by_shared[code].append(rule)
            for prefix in scope.hs_codes:
                by_hs[prefix].append(rule)
                origins[prefix, rule.index].add(origin)
                for length in range(_SHORTEST_CUSTOMS_CODE, len(prefix)):
                    broader[prefix[:length]][rule.index].add(origin)
            for entry in scope.tech_entries:
                by_tech[entry].append(rule)
        for prefix in model.scope.hs_codes:
            printed_by[prefix].add(rule.index)
        for kind in model.scope.tech_entry_kinds:
            by_kind[kind].append(rule)
    technology = [r for r in compiled if r.technology_only or r.any_technology]
    return CompiledPack(
        name=pack.name,
        version=pack.version,
        published=pack.published,
        digest=digest,
        source=source,
        rules=compiled,
        by_control_code=_freeze(by_code),
        by_hs_prefix=_freeze(by_hs),
        hs_prefix_lengths=tuple(sorted({len(p) for p in by_hs}, reverse=True)),
        by_tech_entry=_freeze(by_tech),
        by_tech_kind=_freeze(by_kind),
        by_shared_code=_freeze(by_shared),
        hs_shared=MappingProxyType(
            {code: frozenset(rules) for code, rules in printed_by.items() if len(rules) > 1}
        ),
        hs_origins=MappingProxyType({key: frozenset(found) for key, found in origins.items()}),
        hs_broader=MappingProxyType(
            {
                code: tuple((index, frozenset(printed)) for index, printed in sorted(rules.items()))
                for code, rules in broader.items()
            }
        ),
        described_rules=tuple(r for r in compiled if r.described),
        foreign_direct_groups=tuple(folded_set(group) for group in pack.foreign_direct_product_terms),
        foreign_made=tuple(r for r in compiled if r.foreign_made_min_share is not None),
        foreign_direct=tuple(r for r in compiled if r.foreign_direct_product),
        description_rules=tuple(r for r in compiled if r.description_groups),
        technology_rules=tuple(r for r in compiled if r.any_technology),
        descriptions=TermIndex(
            [t for r in compiled for group in r.description_groups for t in group]
            + [t for r in compiled for t in r.item_terms]
            + [t for r in compiled for groups, _ in r.described for group in groups for t in group]
            + [t for group in pack.foreign_direct_product_terms for t in group],
            pack.distinct_words,
        ),
        technology_markers=TermIndex(pack.technology_markers) if technology else TermIndex(()),
        technology_carriers=tuple(pack.technology_carrier_hs_codes),
        end_use_words=TermIndex(t for r in compiled for t in r.end_use_terms),
        context_rules=tuple(r for r in compiled if (r.any_item or r.any_dual_use) and not r.party_programs),
        party_context_rules=tuple(r for r in compiled if (r.any_item or r.any_dual_use) and r.party_programs),
        controlled_rules=tuple(r for r in compiled if r.controlled_lines),
        model=pack,
    )
