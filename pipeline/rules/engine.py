"""Evaluate an enriched order against a compiled rule pack as of the order's date.

The engine fails closed: a line nobody can classify, a controlled line without a declared end use
and any reference-data gap each produce a `review` finding that holds the order. Output order is
deterministic: order-level gaps first, then lines in order, within a line rules in pack order.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from pipeline.enrichment.enriched import EnrichedOrder, LineFacts
from pipeline.rules.compiled import (
    CompiledPack,
    CompiledRule,
    ConditionResult,
    ContextKey,
    ItemMatch,
    LineKey,
    LineMatches,
    Live,
    LiveRules,
    RuleStates,
    RuleStatus,
)
from pipeline.rules.context import UNCONDITIONAL, OrderContext
from pipeline.rules.findings import (
    MISSING_END_USE,
    REFERENCE_DATA_GAP,
    UNCLASSIFIED_LINE,
    Finding,
)
from schemas.decision import Outcome

_CONTROLLING = frozenset({Outcome.PROHIBITED, Outcome.LICENCE_REQUIRED})
_ORIGIN_CHINA = "CN"


@lru_cache(maxsize=4096)
def control_code_chain(code: str) -> tuple[str, ...]:
    """`1C902.a.1` -> (`1C902.a.1`, `1C902.a`, `1C902`): every paragraph that covers the code."""
    parts = code.split(".")
    return tuple(".".join(parts[:i]) for i in range(len(parts), 0, -1))


# How a line met a rule: the engine treats a match on reference-only customs codes more cautiously.
BY_CODE = "code"
BY_HS = "hs"
BY_TECH = "tech"
BY_CONTENT = "content"


def line_matches(pack: CompiledPack, line: LineFacts) -> LineMatches:
    """The rules whose item selectors cover the line, in pack order; memoised per classification."""
    key: LineKey = (
        line.control_codes,
        line.hs_code,
        line.tech_entry,
        line.origin_country,
        line.cn_rare_earth_share,
    )
    cached = pack.cached_matches(key)
    if cached is not None:
        return cached
    found = _item_matches(pack, line)
    matches = tuple(
        ItemMatch(rule, how, matched, rule.lists_dual_use and not (how == BY_HS and rule.hs_reference_only))
        for rule, (how, matched) in sorted(found.items(), key=_match_order)
    )
    result = LineMatches(
        matches,
        named=any(rule.lists_dual_use for rule in found),
        rule_indexes=frozenset(rule.index for rule in found),
    )
    pack.remember_matches(key, result)
    return result


def _match_order(item: tuple[CompiledRule, tuple[str, str]]) -> int:
    return item[0].index


def _item_matches(pack: CompiledPack, line: LineFacts) -> dict[CompiledRule, tuple[str, str]]:
    """Rules whose item selectors cover the line, each with how and what matched (first match wins)."""
    found: dict[CompiledRule, tuple[str, str]] = {}
    for code in line.control_codes:
        for paragraph in control_code_chain(code):
            for rule in pack.by_control_code.get(paragraph, ()):
                found.setdefault(rule, (BY_CODE, f"control code {code}"))
    if line.hs_code:
        _hs_matches(pack, line.hs_code, found)
    if line.tech_entry:
        _tech_matches(pack, line.tech_entry, found)
    share = line.cn_rare_earth_share
    if share is not None and line.origin_country and line.origin_country != _ORIGIN_CHINA:
        for rule in pack.foreign_made:
            if rule.foreign_made_min_share is not None and share >= rule.foreign_made_min_share:
                text = f"made in {line.origin_country}, Chinese rare-earth value share {share:.4g}"
                found.setdefault(rule, (BY_CONTENT, text))
    return found


def _hs_matches(pack: CompiledPack, hs: str, found: dict[CompiledRule, tuple[str, str]]) -> None:
    for length in pack.hs_prefix_lengths:
        if length <= len(hs):
            for rule in pack.by_hs_prefix.get(hs[:length], ()):
                found.setdefault(rule, (BY_HS, f"customs code {hs}"))


def _tech_matches(pack: CompiledPack, entry: str, found: dict[CompiledRule, tuple[str, str]]) -> None:
    for rule in pack.by_tech_entry.get(entry, ()):
        found.setdefault(rule, (BY_TECH, f"technology entry {entry}"))
    for rule in pack.by_tech_kind.get(entry[-1], ()):
        if entry not in rule.exclude_tech_entries:
            found.setdefault(rule, (BY_TECH, f"technology entry {entry}"))


def _finding(
    *,
    rule: CompiledRule,
    line: LineFacts,
    how: str,
    matched: str,
    cond: ConditionResult,
    ctx: OrderContext,
    as_of: date,
) -> Finding:
    evidence = [("matched", matched), *cond.evidence]
    if rule.licence_types:
        evidence.append(("licence_types_allowed", ",".join(rule.licence_types)))
    for exemption in rule.exemptions:
        classes = sorted(exemption.end_use_classes & ctx.end_use_classes)
        if classes:
            evidence.extend((("exempt_end_use", ",".join(classes)), ("rule_outcome", rule.outcome.value)))
            note = f" ({exemption.note})" if exemption.note else ""
            return Finding(
                rule.id,
                rule.title,
                exemption.outcome,
                exemption.citation,
                line.line_id,
                cond.party_role,
                f"{rule.summary}; line {line.line_id}: {matched}; end use {', '.join(classes)} "
                f"is exempt as of {as_of}{note}",
                tuple(evidence),
                exemption.confidence,
                rule.index,
            )
    if how == BY_HS and rule.hs_reference_only and rule.outcome in _CONTROLLING:
        evidence.append(("rule_outcome", rule.outcome.value))
        return Finding(
            rule.id,
            rule.title,
            Outcome.REVIEW,
            rule.citation,
            line.line_id,
            cond.party_role,
            f"{rule.summary}; line {line.line_id}: {matched} is only a reference code for this measure, "
            f"held to check the item against its technical description (as of {as_of})",
            tuple(evidence),
            rule.confidence,
            rule.index,
        )
    return Finding(
        rule.id,
        rule.title,
        rule.outcome,
        rule.citation,
        line.line_id,
        cond.party_role,
        f"{rule.summary}; line {line.line_id}: {matched}, as of {as_of}",
        tuple(evidence),
        rule.confidence,
        rule.index,
    )


def _emit(
    *,
    rule: CompiledRule,
    live: Live,
    line: LineFacts,
    match: tuple[str, str],
    ctx: OrderContext,
    as_of: date,
) -> Finding:
    """The finding of a rule in force or suspended whose order conditions hold."""
    suspension, cond = live
    how, matched = match
    if suspension is None:
        return _finding(rule=rule, line=line, how=how, matched=matched, cond=cond, ctx=ctx, as_of=as_of)
    return Finding(
        rule.id,
        rule.title,
        Outcome.INFO,
        rule.citation,
        line.line_id,
        cond.party_role,
        f"{rule.summary}; not applied as of {as_of}: suspended by {suspension.instrument} "
        f"from {suspension.start} to {suspension.end}",
        (
            ("matched", matched),
            ("suspended_by", suspension.instrument),
            ("suspended_until", suspension.end.isoformat()),
            *cond.evidence,
        ),
        suspension.confidence,
        rule.index,
    )


def _live(rule: CompiledRule, ctx: OrderContext, states: tuple[RuleStatus, ...]) -> Live | None:
    """(suspension or None, condition evidence) when the rule is not out of date and its order
    conditions hold; None otherwise."""
    state, suspension = states[rule.index]
    if state == "inactive":
        return None
    cond = ctx.conditions(rule)
    return None if cond is None else (suspension, cond)


def _context_order(item: tuple[CompiledRule, Live]) -> int:
    return item[0].index


def _live_context_rules(pack: CompiledPack, ctx: OrderContext, rule_states: RuleStates) -> LiveRules:
    """Any-item rules depend on the order, not the line: decide once per order which are live,
    and remember it for orders with the same date regime, destination, end user and end use."""
    key: ContextKey | None = None
    if not ctx.hits:
        key = (
            rule_states.epoch,
            ctx.destination,
            ctx.end_user_country,
            ctx.end_user_categories,
            ctx.end_use_classes,
        )
        cached = pack.cached_live_context(key)
        if cached is not None:
            return cached
    candidates = pack.context_rules + pack.party_context_rules if ctx.hits else pack.context_rules
    states = rule_states.states
    live = sorted(
        ((rule, found) for rule in candidates if (found := _live(rule, ctx, states)) is not None),
        key=_context_order,
    )
    result = tuple(live)
    if key is not None:
        pack.remember_live_context(key, result)
    return result


def _finding_order(finding: Finding) -> int:
    return finding.rule_index


def _line_findings(
    pack: CompiledPack,
    line: LineFacts,
    *,
    ctx: OrderContext,
    as_of: date,
    states: tuple[RuleStatus, ...],
    context_rules: LiveRules,
) -> list[Finding]:
    out: list[Finding] = []
    dual_use = bool(line.control_codes)
    found = line_matches(pack, line)
    for item in found.matches:
        rule = item.rule
        state, suspension = states[rule.index]
        if state == "inactive":
            continue
        if item.confers_dual_use and suspension is None:
            dual_use = True
        cond = ctx.conditions(rule) if rule.has_order_conditions else UNCONDITIONAL
        if cond is not None:
            match = (item.how, item.matched)
            out.append(
                _emit(rule=rule, live=(suspension, cond), line=line, match=match, ctx=ctx, as_of=as_of)
            )
    item_findings = len(out)
    for rule, live in context_rules:
        if (rule.residual and found.named) or rule.index in found.rule_indexes:
            continue
        if rule.any_item or dual_use:
            what = (BY_CODE, "dual-use item" if dual_use else "any item")
            out.append(_emit(rule=rule, live=live, line=line, match=what, ctx=ctx, as_of=as_of))
    if item_findings and len(out) > item_findings:
        out.sort(key=_finding_order)
    if not line.classified:
        out.append(
            Finding(
                UNCLASSIFIED_LINE,
                "Line cannot be classified",
                Outcome.REVIEW,
                None,
                line.line_id,
                None,
                f"Line {line.line_id} ({line.description[:60]}) has no control code, customs code or "
                "technology entry and is unknown to the product master: held until classified",
                (("description", line.description[:200]),),
            )
        )
    if not ctx.end_use_declared and (dual_use or any(f.outcome in _CONTROLLING for f in out)):
        out.append(
            Finding(
                MISSING_END_USE,
                "Controlled line without a declared end use",
                Outcome.REVIEW,
                None,
                line.line_id,
                None,
                f"Line {line.line_id} is a controlled item and the order declares no end use: "
                "an end-user and end-use statement is required",
                (("control_codes", ",".join(line.control_codes)),),
            )
        )
    return out


def evaluate(order: EnrichedOrder, pack: CompiledPack) -> tuple[Finding, ...]:
    """Every finding for the order as of `order.as_of`, in a deterministic order."""
    as_of = order.as_of
    ctx = OrderContext(order)
    findings: list[Finding] = [
        Finding(
            REFERENCE_DATA_GAP,
            "Reference data missing",
            Outcome.REVIEW,
            None,
            None,
            None,
            f"Screening could not complete: {gap}",
            (("gap", gap),),
        )
        for gap in order.gaps
    ]
    rule_states = pack.states_on(as_of)
    states = rule_states.states
    context_rules = _live_context_rules(pack, ctx, rule_states)
    for line in order.lines:
        findings.extend(
            _line_findings(pack, line, ctx=ctx, as_of=as_of, states=states, context_rules=context_rules)
        )
    return tuple(findings)
