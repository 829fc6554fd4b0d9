"""A validated rule pack compiled into plain, immutable indexes for the evaluation hot path.

Rules are reached through dictionaries keyed by control code (every paragraph depth), customs-code
prefix (by length) and technology entry, so a line meets only the rules that could cover it. Plain
frozen dataclasses with slots: the engine reads them for every line, pydantic access would dominate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from pipeline.rules.findings import FindingTemplate
from pipeline.rules.terms import TermIndex, folded_set
from schemas.decision import Citation, Outcome
from schemas.rulepack import Rule, RulePack

# resumed: in force again after a suspension whose end no later evidence confirms.
RuleState = Literal["active", "suspended", "inactive", "resumed"]
IN_FORCE: frozenset[str] = frozenset({"active", "resumed"})
_STATE_CACHE_DATES = 4096


@dataclass(frozen=True, slots=True)
class CompiledSuspension:
    start: date
    end: date
    instrument: str
    confidence: str
    note: str | None
    resumption_confirmed: bool


@dataclass(frozen=True, slots=True)
class CompiledExemption:
    end_use_classes: frozenset[str]
    outcome: Outcome
    citation: Citation
    confidence: str
    note: str | None


# eq=False: rules are dictionary keys on the hot path; identity hashing avoids hashing every field.
@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """One rule, ready for evaluation. `index` is its position in the pack: the output order."""

    index: int
    id: str
    title: str
    summary: str
    outcome: Outcome
    citation: Citation
    confidence: str
    note: str | None
    effective_from: date
    effective_to: date | None
    suspensions: tuple[CompiledSuspension, ...]
    licence_types: tuple[str, ...]
    exemptions: tuple[CompiledExemption, ...]
    # True when the rule lists dual-use items (by control or customs code), which makes the line dual-use.
    lists_dual_use: bool
    any_dual_use: bool
    any_item: bool
    any_technology: bool
    controlled_lines: bool
    foreign_direct_product: bool
    technology_only: bool
    # Folded word groups: a description with a word of every group is covered.
    description_groups: tuple[frozenset[str], ...]
    item_terms: frozenset[str]
    end_use_terms: frozenset[str]
    own_control_codes: frozenset[str]
    # No exemption, reference-only customs codes or licence types: the finding is the rule's own.
    plain: bool
    residual: bool
    hs_reference_only: bool
    foreign_made_min_share: float | None
    exclude_tech_entries: frozenset[str]
    destination_countries: frozenset[str]
    end_user_countries: frozenset[str]
    end_user_categories: frozenset[str]
    end_use_classes: frozenset[str]
    party_programs: frozenset[str]
    party_strengths: frozenset[str]
    party_statuses: frozenset[str]
    party_ownership: str
    has_order_conditions: bool

    def state(self, as_of: date) -> RuleStatus:
        """Whether the rule applies on `as_of`. After a suspension's last day the rule applies
        again; `resumed` (with that suspension) when no later evidence confirms it did."""
        if as_of < self.effective_from or (self.effective_to is not None and as_of > self.effective_to):
            return "inactive", None
        lapsed: CompiledSuspension | None = None
        for suspension in self.suspensions:
            if suspension.start <= as_of <= suspension.end:
                return "suspended", suspension
            if suspension.end < as_of:
                lapsed = suspension
        if lapsed is not None and not lapsed.resumption_confirmed:
            return "resumed", lapsed
        return "active", None


RuleStatus = tuple[RuleState, CompiledSuspension | None]


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """Evidence that a rule's order conditions hold, and the party they concern."""

    evidence: tuple[tuple[str, str], ...]
    party_role: str | None
    # Lower than high when a party hit's listing status is uncertain (unconfirmed end of suspension).
    confidence: str | None = None
    note: str | None = None


# A live rule: its state on the date and the evidence its conditions hold.
Live = tuple[RuleStatus, ConditionResult]
LiveRules = tuple[tuple["CompiledRule", Live], ...]
# The live any-item rules of an order, and the live rules for its controlled lines.
LiveContext = tuple[LiveRules, LiveRules]
# A line's findings before line id and date, and whether the line is controlled.
LinePlan = tuple[tuple[FindingTemplate, ...], bool]


@dataclass(frozen=True, slots=True)
class RuleStates:
    """Every rule's state on one date. Dates with the same states share an `epoch` number."""

    epoch: int
    states: tuple[RuleStatus, ...]


# Order facts that decide which any-item rules are live: epoch, destination, end-user country,
# end-user categories, end-use classes, end-use words found (only for orders without party-list hits).
ContextKey = tuple[int, str, str, frozenset[str], frozenset[str], frozenset[str]]


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """A rule whose item selectors cover a line: how (code, hs, tech, content) and what matched."""

    rule: CompiledRule
    how: str
    matched: str
    # The match makes the line a dual-use item when the rule is in force (reference-only codes do not).
    confers_dual_use: bool
    # Rules naming the line's customs code more precisely: while one is in force, this
    # reference-only match yields to it (28053019 yields to 2805301910 of 2025 No. 18).
    yields_to: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class LineMatches:
    matches: tuple[ItemMatch, ...]
    # Some control code of the line is on the list independently of any measure in this pack, so
    # the umbrella (residual) list rule covers the line whatever state the item measures are in.
    umbrella: bool
    rule_indexes: frozenset[int]
    technology: bool


# A line's classification: control codes, customs code, tech entry, origin, Chinese rare-earth share,
# descriptions (line, product master), made abroad with Chinese rare-earth technology.
LineKey = tuple[tuple[str, ...], str | None, str | None, str | None, float | None, str, str, bool]
_MATCH_CACHE_LINES = 65536
RuleIndex = MappingProxyType[str, tuple[CompiledRule, ...]]


@dataclass(frozen=True, slots=True)
class CompiledPack:
    name: str
    version: str
    published: date
    digest: str
    source: str
    rules: tuple[CompiledRule, ...]
    by_control_code: RuleIndex
    by_hs_prefix: RuleIndex
    hs_prefix_lengths: tuple[int, ...]
    by_tech_entry: RuleIndex
    by_tech_kind: RuleIndex
    by_shared_code: RuleIndex
    # Customs codes printed for items of several rules: rule indexes whose own scope prints each.
    hs_shared: MappingProxyType[str, frozenset[int]]
    # (customs-code prefix, rule index) -> the rules whose scope printed it (itself, or via items_of).
    hs_origins: MappingProxyType[tuple[str, int], frozenset[int]]
    foreign_made: tuple[CompiledRule, ...]
    foreign_direct: tuple[CompiledRule, ...]
    description_rules: tuple[CompiledRule, ...]
    technology_rules: tuple[CompiledRule, ...]
    descriptions: TermIndex
    technology_markers: TermIndex
    technology_carriers: tuple[str, ...]
    end_use_words: TermIndex
    # Rules for any (dual-use) item, split so orders without party-list hits skip the party rules.
    context_rules: tuple[CompiledRule, ...]
    party_context_rules: tuple[CompiledRule, ...]
    # Rules for lines another rule in force controls, decided after the other rules of the line.
    controlled_rules: tuple[CompiledRule, ...]
    model: RulePack
    # Rule states by date, filled on demand: orders in a stream share few dates.
    _states: dict[date, RuleStates] = field(default_factory=dict, repr=False, compare=False)
    _epochs: dict[tuple[RuleStatus, ...], int] = field(default_factory=dict, repr=False, compare=False)
    _live_context: dict[ContextKey, LiveContext] = field(default_factory=dict, repr=False, compare=False)
    # Line plans by context, then by line classification (see `engine.evaluate`).
    _plans: dict[ContextKey, dict[LineKey, LinePlan]] = field(default_factory=dict, repr=False, compare=False)
    _plan_count: list[int] = field(default_factory=lambda: [0], repr=False, compare=False)
    # Item matches by line classification, filled on demand: orders repeat a finite catalogue.
    _matches: dict[LineKey, LineMatches] = field(default_factory=dict, repr=False, compare=False)

    def cached_matches(self, key: LineKey) -> LineMatches | None:
        return self._matches.get(key)

    def remember_matches(self, key: LineKey, matches: LineMatches) -> None:
        if len(self._matches) >= _MATCH_CACHE_LINES:
            self._matches.clear()
        self._matches[key] = matches

    def states_on(self, as_of: date) -> RuleStates:
        """Every rule's state on `as_of`, indexed by `CompiledRule.index`."""
        found = self._states.get(as_of)
        if found is None:
            if len(self._states) >= _STATE_CACHE_DATES:
                self._states.clear()
            states = tuple(rule.state(as_of) for rule in self.rules)
            epoch = self._epochs.setdefault(states, len(self._epochs))
            found = self._states[as_of] = RuleStates(epoch, states)
        return found

    def plans_for(self, key: ContextKey) -> dict[LineKey, LinePlan]:
        """The remembered line plans of one context (read with `get`, add with `remember_plan`)."""
        plans = self._plans.get(key)
        if plans is None:
            plans = self._plans[key] = {}
        return plans

    def remember_plan(self, plans: dict[LineKey, LinePlan], key: LineKey, plan: LinePlan) -> None:
        """Remember a line plan; past a bound on all plans every context starts afresh (memory)."""
        if self._plan_count[0] >= _MATCH_CACHE_LINES:
            self._plans.clear()
            self._plan_count[0] = 0
        plans[key] = plan
        self._plan_count[0] += 1

    def cached_live_context(self, key: ContextKey) -> LiveContext | None:
        return self._live_context.get(key)

    def remember_live_context(self, key: ContextKey, live: LiveContext) -> None:
        if len(self._live_context) >= _MATCH_CACHE_LINES:
            self._live_context.clear()
        self._live_context[key] = live

    @property
    def version_label(self) -> str:
        """What decisions record as the rules version: pack version plus a content digest."""
        return f"{self.name}@{self.version}+{self.digest[:12]}"

    def rule(self, rule_id: str) -> CompiledRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


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
        foreign_made=tuple(r for r in compiled if r.foreign_made_min_share is not None),
        foreign_direct=tuple(r for r in compiled if r.foreign_direct_product),
        description_rules=tuple(r for r in compiled if r.description_groups),
        technology_rules=tuple(r for r in compiled if r.any_technology),
        descriptions=TermIndex(
            [t for r in compiled for group in r.description_groups for t in group]
            + [t for r in compiled for t in r.item_terms]
        ),
        technology_markers=TermIndex(pack.technology_markers) if technology else TermIndex(()),
        technology_carriers=tuple(pack.technology_carrier_hs_codes),
        end_use_words=TermIndex(t for r in compiled for t in r.end_use_terms),
        context_rules=tuple(r for r in compiled if (r.any_item or r.any_dual_use) and not r.party_programs),
        party_context_rules=tuple(r for r in compiled if (r.any_item or r.any_dual_use) and r.party_programs),
        controlled_rules=tuple(r for r in compiled if r.controlled_lines),
        model=pack,
    )
