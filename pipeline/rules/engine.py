"""Evaluate an enriched order against a compiled rule pack as of the order's date.

The engine fails closed: a line nobody can classify, a controlled line without a declared end use
and any reference-data gap each produce a `review` finding that holds the order. Output order is
deterministic: order-level gaps first, then lines in order, within a line rules in pack order.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from pipeline.enrichment.enriched import EnrichedOrder, LineFacts
from pipeline.rules.compiled import (
    IN_FORCE,
    CompiledPack,
    CompiledRule,
    ConditionResult,
    ContextKey,
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
from pipeline.rules.matching import BY_CODE, BY_HS, BY_SHARED_HS, line_matches
from schemas.decision import Outcome

_CONTROLLING = frozenset({Outcome.PROHIBITED, Outcome.LICENCE_REQUIRED})
_CONFIDENCE_RANK = {"high": 2, "medium": 1, "low": 0}
UNCONFIRMED = "medium"


def _weaker(first: str | None, second: str | None) -> str | None:
    """The lower of two confidences (None means unstated)."""
    if first is None or second is None:
        return first or second
    return first if _CONFIDENCE_RANK.get(first, 0) <= _CONFIDENCE_RANK.get(second, 0) else second


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
    confidence = _weaker(rule.confidence, cond.confidence)
    if rule.licence_types:
        evidence.append(("licence_types_allowed", ",".join(rule.licence_types)))
    for exemption in rule.exemptions:
        classes = sorted(exemption.end_use_classes & ctx.end_use_classes)
        if classes:
            evidence.extend((("exempt_end_use", ",".join(classes)), ("rule_outcome", rule.outcome.value)))
            note = f" ({exemption.note})" if exemption.note else ""
            verdict = "is exempt" if exemption.outcome is Outcome.EXEMPT else "may be exempt: held for review"
            return Finding(
                rule.id,
                rule.title,
                exemption.outcome,
                exemption.citation,
                line.line_id,
                cond.party_role,
                f"{rule.summary}; line {line.line_id}: {matched}; end use {', '.join(classes)} "
                f"{verdict} as of {as_of}{note}",
                tuple(evidence),
                _weaker(exemption.confidence, cond.confidence),
                rule.index,
            )
    if how == BY_SHARED_HS and rule.outcome in _CONTROLLING:
        evidence.append(("rule_outcome", rule.outcome.value))
        return Finding(
            rule.id,
            rule.title,
            Outcome.REVIEW,
            rule.citation,
            line.line_id,
            cond.party_role,
            f"{rule.summary}; line {line.line_id}: {matched}, a code printed for several items; held "
            f"to resolve the item by control code or description (as of {as_of})",
            tuple(evidence),
            confidence,
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
            confidence,
            rule.index,
        )
    party_note = f"; {cond.note}" if cond.note else ""
    return Finding(
        rule.id,
        rule.title,
        rule.outcome,
        rule.citation,
        line.line_id,
        cond.party_role,
        f"{rule.summary}; line {line.line_id}: {matched}, as of {as_of}{party_note}",
        tuple(evidence),
        confidence,
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
    (state, suspension), cond = live
    how, matched = match
    if suspension is None:
        return _finding(rule=rule, line=line, how=how, matched=matched, cond=cond, ctx=ctx, as_of=as_of)
    if state == "resumed":
        found = _finding(rule=rule, line=line, how=how, matched=matched, cond=cond, ctx=ctx, as_of=as_of)
        return dataclasses.replace(
            found,
            explanation=f"{found.explanation}; end of suspension unconfirmed: suspended by "
            f"{suspension.instrument} until {suspension.end}, no later evidence that the measure resumed",
            evidence=(*found.evidence, ("suspension_end_unconfirmed", suspension.end.isoformat())),
            confidence=_weaker(found.confidence, UNCONFIRMED),
        )
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
    """(rule state, condition evidence) when the rule is not out of date and its order conditions
    hold; None otherwise."""
    status = states[rule.index]
    if status[0] == "inactive":
        return None
    cond = ctx.conditions(rule)
    return None if cond is None else (status, cond)


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
            ctx.end_use_words,
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
        status = states[rule.index]
        if status[0] == "inactive":
            continue
        if item.yields_to and any(states[i][0] in IN_FORCE for i in item.yields_to):
            continue
        if item.confers_dual_use and status[0] in IN_FORCE:
            dual_use = True
        cond = ctx.conditions(rule) if rule.has_order_conditions else UNCONDITIONAL
        if cond is not None:
            match = (item.how, item.matched)
            out.append(_emit(rule=rule, live=(status, cond), line=line, match=match, ctx=ctx, as_of=as_of))
    item_findings = len(out)
    for rule, live in context_rules:
        if (rule.residual and not found.umbrella) or rule.index in found.rule_indexes:
            continue
        if rule.any_item or dual_use:
            what = (BY_CODE, "dual-use item" if dual_use else "any item")
            out.append(_emit(rule=rule, live=live, line=line, match=what, ctx=ctx, as_of=as_of))
    if item_findings and len(out) > item_findings:
        out.sort(key=_finding_order)
    controlled = dual_use or any(f.outcome in _CONTROLLING for f in out)
    if controlled and pack.controlled_rules:
        out.extend(_controlled_line_findings(pack, line, ctx=ctx, as_of=as_of, states=states))
    if len(out) > 1:
        out = _note_overlaps(out)
    out.extend(_fail_closed_findings(line, ctx, controlled=controlled))
    return out


def _fail_closed_findings(line: LineFacts, ctx: OrderContext, *, controlled: bool) -> list[Finding]:
    """A line nobody can classify, and a controlled line without a declared end use, hold."""
    out = []
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
    if controlled and not ctx.end_use_declared:
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


def _controlled_line_findings(
    pack: CompiledPack, line: LineFacts, *, ctx: OrderContext, as_of: date, states: tuple[RuleStatus, ...]
) -> list[Finding]:
    """Rules for lines another rule in force controls (an end use nobody recognised, say)."""
    out = []
    for rule in pack.controlled_rules:
        live = _live(rule, ctx, states)
        if live is not None:
            what = (BY_CODE, "controlled line")
            out.append(_emit(rule=rule, live=live, line=line, match=what, ctx=ctx, as_of=as_of))
    return out


def _note_overlaps(findings: list[Finding]) -> list[Finding]:
    """Where several measures cover one line, each finding names the others; the route takes the
    strictest of them (HOLD > LICENSE > RELEASE)."""
    measures = [f for f in findings if f.rule_index >= 0 and f.outcome is not Outcome.INFO]
    if len({f.rule_id for f in measures}) < 2:
        return findings
    out = []
    for finding in findings:
        others = [f"{f.rule_id} ({f.outcome.value})" for f in measures if f.rule_id != finding.rule_id]
        if finding.rule_index < 0 or not others:
            out.append(finding)
            continue
        out.append(
            dataclasses.replace(
                finding,
                evidence=(*finding.evidence, ("overlapping_measures", ", ".join(others))),
            )
        )
    return out


def evaluate(order: EnrichedOrder, pack: CompiledPack) -> tuple[Finding, ...]:
    """Every finding for the order as of `order.as_of`, in a deterministic order."""
    as_of = order.as_of
    ctx = OrderContext(order, pack.end_use_words)
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
