"""A validated rule pack as plain, immutable indexes for the evaluation hot path (built by `compile`).

Rules are reached through dictionaries keyed by control code (every paragraph depth), customs-code
prefix (by length) and technology entry, so a line meets only the rules that could cover it. Plain
frozen dataclasses with slots: the engine reads them for every line, pydantic access would dominate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from pipeline.rules.findings import FindingTemplate
from pipeline.rules.terms import TermIndex
from schemas.decision import Citation, Outcome
from schemas.rulepack import RulePack

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
    # The measure's goods named in words: (word groups that must all occur, thresholds to check).
    described: tuple[tuple[tuple[frozenset[str], ...], bool], ...]
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
    # A customs code shorter than codes rules print (an 8-digit line over listed 10-digit numbers):
    # code -> (rule index, the rules whose scope printed the longer codes) for every such rule.
    hs_broader: MappingProxyType[str, tuple[tuple[int, frozenset[int]], ...]]
    described_rules: tuple[CompiledRule, ...]
    # Word groups (all must occur) saying a line was made abroad with Chinese rare-earth technology.
    foreign_direct_groups: tuple[frozenset[str], ...]
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
