"""Evaluate an enriched order against a compiled rule pack as of the order's date.

The engine fails closed: a line nobody can classify, a controlled line without a declared end use
and any reference-data gap each produce a `review` finding that holds the order. Output order is
deterministic: order-level gaps first, then lines in order, within a line rules in pack order.
"""

from __future__ import annotations

from pipeline.enrichment.enriched import EnrichedOrder, LineFacts
from pipeline.rules.compiled import (
    IN_FORCE,
    CompiledPack,
    CompiledRule,
    ConditionResult,
    ContextKey,
    LinePlan,
    Live,
    LiveContext,
    RuleStates,
    RuleStatus,
)
from pipeline.rules.context import UNCONDITIONAL, OrderContext
from pipeline.rules.findings import (
    MISSING_END_USE,
    REFERENCE_DATA_GAP,
    UNCLASSIFIED_LINE,
    Finding,
    FindingTemplate,
)
from pipeline.rules.matching import (
    BY_BROADER_HS,
    BY_CODE,
    BY_HS,
    BY_ITEM_WORDS_THRESHOLDS,
    BY_SHARED_HS,
    line_matches,
    matching_key,
)
from schemas.decision import Outcome

_CONTROLLING = frozenset({Outcome.PROHIBITED, Outcome.LICENCE_REQUIRED})
_CONFIDENCE_RANK = {"high": 2, "medium": 1, "low": 0}
# Enum .value is a descriptor call; the hot path reads the text from a plain dict.
_OUTCOME_TEXT = {outcome: outcome.value for outcome in Outcome}
UNCONFIRMED = "medium"


def _weaker(first: str | None, second: str | None) -> str | None:
    """The lower of two confidences (None means unstated)."""
    if first is None or second is None:
        return first or second
    return first if _CONFIDENCE_RANK.get(first, 0) <= _CONFIDENCE_RANK.get(second, 0) else second


def _template(
    rule: CompiledRule, how: str, matched: str, cond: ConditionResult, end_use_classes: frozenset[str]
) -> FindingTemplate:
    """What a rule in force concludes for a line matched `how`, before line id and date."""
    evidence = [("matched", matched), *cond.evidence]
    confidence = rule.confidence if cond.confidence is None else _weaker(rule.confidence, cond.confidence)
    tail = f"; {cond.note}" if cond.note else ""
    if rule.licence_types:
        evidence.append(("licence_types_allowed", ",".join(rule.licence_types)))
    outcome = rule.outcome
    citation = rule.citation
    text = matched
    for exemption in rule.exemptions:
        classes = sorted(exemption.end_use_classes & end_use_classes)
        if classes:
            evidence.extend((("exempt_end_use", ",".join(classes)), ("rule_outcome", rule.outcome.value)))
            note = f" ({exemption.note})" if exemption.note else ""
            verdict = "is exempt" if exemption.outcome is Outcome.EXEMPT else "may be exempt: held for review"
            outcome, citation = exemption.outcome, exemption.citation
            confidence = _weaker(exemption.confidence, confidence)
            text += f"; end use {', '.join(classes)} {verdict}{note}"
            break
    else:
        if how == BY_SHARED_HS and outcome in _CONTROLLING:
            evidence.append(("rule_outcome", outcome.value))
            outcome = Outcome.REVIEW
            text += (
                ", a code printed for several items; held to resolve the item by control code or description"
            )
        elif how == BY_BROADER_HS and outcome in _CONTROLLING:
            evidence.append(("rule_outcome", outcome.value))
            outcome = Outcome.REVIEW
            text += ": it cannot clear the line; held to identify the item by its description"
        elif how == BY_ITEM_WORDS_THRESHOLDS and outcome in _CONTROLLING:
            evidence.append(("rule_outcome", outcome.value))
            outcome = Outcome.REVIEW
            text += "; held to check the item against the measure's thresholds"
        elif how == BY_HS and rule.hs_reference_only and outcome in _CONTROLLING:
            evidence.append(("rule_outcome", outcome.value))
            outcome = Outcome.REVIEW
            text += (
                " is only a reference code for this measure, held to check the item against its "
                "technical description"
            )
    return FindingTemplate(
        rule.id,
        rule.title,
        outcome,
        citation,
        cond.party_role,
        f"{rule.summary}; line ",
        f": {text}, as of ",
        tail,
        tuple(evidence),
        confidence,
        rule.index,
    )


def _emit(rule: CompiledRule, live: Live, how: str, matched: str, ctx: OrderContext) -> FindingTemplate:
    """The finding of a rule in force or suspended whose order conditions hold."""
    (state, suspension), cond = live
    if suspension is None:
        return _template(rule, how, matched, cond, ctx.end_use_classes)
    if state == "resumed":
        found = _template(rule, how, matched, cond, ctx.end_use_classes)
        return _amend(
            found,
            f"; end of suspension unconfirmed: suspended by {suspension.instrument} until "
            f"{suspension.end}, no later evidence that the measure resumed",
            ("suspension_end_unconfirmed", suspension.end.isoformat()),
            _weaker(found.confidence, UNCONFIRMED),
        )
    return FindingTemplate(
        rule.id,
        rule.title,
        Outcome.INFO,
        rule.citation,
        cond.party_role,
        f"{rule.summary}; line ",
        f": {matched}; not applied as of ",
        f": suspended by {suspension.instrument} from {suspension.start} to {suspension.end}",
        (
            ("matched", matched),
            ("suspended_by", suspension.instrument),
            ("suspended_until", suspension.end.isoformat()),
            *cond.evidence,
        ),
        suspension.confidence,
        rule.index,
    )


def _amend(
    found: FindingTemplate, more: str, evidence: tuple[str, str], confidence: str | None
) -> FindingTemplate:
    """The template with more explanation and evidence."""
    return FindingTemplate(
        found.rule_id,
        found.title,
        found.outcome,
        found.citation,
        found.party_role,
        found.before_line,
        found.before_date,
        found.after_date + more,
        (*found.evidence, evidence),
        confidence,
        found.rule_index,
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


def _live_context_rules(
    pack: CompiledPack, ctx: OrderContext, rule_states: RuleStates
) -> tuple[ContextKey | None, LiveContext]:
    """Any-item rules and rules for controlled lines depend on the order, not the line: decide once
    per order which are live, and remember it for orders with the same date regime, destination,
    end user and end use."""
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
            return key, cached
    candidates = pack.context_rules + pack.party_context_rules if ctx.hits else pack.context_rules
    states = rule_states.states
    live = sorted(
        ((rule, found) for rule in candidates if (found := _live(rule, ctx, states)) is not None),
        key=_context_order,
    )
    controlled = tuple(
        (rule, found) for rule in pack.controlled_rules if (found := _live(rule, ctx, states)) is not None
    )
    result = (tuple(live), controlled)
    if key is not None:
        pack.remember_live_context(key, result)
    return key, result


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


def _template_order(template: FindingTemplate) -> int:
    return template.rule_index


def _line_plan(
    pack: CompiledPack, line: LineFacts, ctx: OrderContext, states: tuple[RuleStatus, ...], live: LiveContext
) -> LinePlan:
    """The findings (as templates) of one line classification under the order's date regime and
    context, and whether the line is controlled."""
    context_rules, controlled_rules = live
    out: list[FindingTemplate] = []
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
            out.append(_emit(rule, (status, cond), item.how, item.matched, ctx))
    covering = out[:]
    for rule, rule_live in context_rules:
        if (rule.residual and not found.umbrella) or rule.index in found.rule_indexes:
            continue
        if rule.any_item or dual_use:
            template = _emit(rule, rule_live, BY_CODE, "dual-use item" if dual_use else "any item", ctx)
            out.append(template)
            if rule.residual:
                covering.append(template)
    if len(covering) > 1:
        out = _note_overlaps(out, covering)
    out.sort(key=_template_order)
    controlled = dual_use or any(t.outcome in _CONTROLLING for t in out)
    if controlled:
        out.extend(
            _emit(rule, rule_live, BY_CODE, "controlled line", ctx) for rule, rule_live in controlled_rules
        )
    return tuple(out), controlled


def _note_overlaps(out: list[FindingTemplate], covering: list[FindingTemplate]) -> list[FindingTemplate]:
    """Where several measures cover the line's item (item rules and the umbrella list rule), each of
    their findings names the others; the route takes the strictest (HOLD > LICENSE > RELEASE)."""
    measures = [t for t in covering if t.outcome is not Outcome.INFO]
    if len(measures) < 2 or all(t.rule_id == measures[0].rule_id for t in measures):
        return out
    marked = {id(t) for t in measures}
    noted = []
    for template in out:
        others = [
            f"{t.rule_id} ({_OUTCOME_TEXT[t.outcome]})" for t in measures if t.rule_id != template.rule_id
        ]
        if id(template) not in marked or not others:
            noted.append(template)
            continue
        noted.append(_amend(template, "", ("overlapping_measures", ", ".join(others)), template.confidence))
    return noted


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
    key, live = _live_context_rules(pack, ctx, rule_states)
    # Orders repeat a finite catalogue of lines under few date regimes and contexts: a line's plan
    # is remembered per context; orders with party-list hits are planned afresh.
    plans = pack.plans_for(key) if key is not None else None
    date_text = as_of.isoformat()
    for line in order.lines:
        line_key = matching_key(line) if plans is not None else None
        plan = plans.get(line_key) if plans is not None and line_key is not None else None
        if plan is None:
            plan = _line_plan(pack, line, ctx, states, live)
            if plans is not None and line_key is not None:
                pack.remember_plan(plans, line_key, plan)
        templates, controlled = plan
        findings.extend([t.build(line.line_id, date_text) for t in templates])
        if not line.classified or (controlled and not ctx.end_use_declared):
            findings.extend(_fail_closed_findings(line, ctx, controlled=controlled))
    return tuple(findings)
