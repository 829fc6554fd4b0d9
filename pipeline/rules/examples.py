"""Run the example cases embedded in a rule pack: each states what its rule concludes for an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from pipeline.enrichment.enriched import EndUseFacts, EnrichedOrder, LineFacts, PartyFacts, PartyHit
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.engine import evaluate
from schemas.order import OrderEvent
from schemas.rulepack import Example, ExampleLine, ExampleParty

NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule_id: str
    name: str
    expected: str
    got: tuple[str, ...]

    @property
    def passed(self) -> bool:
        if self.expected == NOT_APPLICABLE:
            return not self.got
        return self.expected in self.got


def _line(line: ExampleLine) -> LineFacts:
    codes = (line.control_code,) if line.control_code else ()
    return LineFacts(
        line_id=line.line_id,
        description=line.description,
        control_codes=codes,
        hs_code=line.hs_code,
        tech_entry=line.tech_entry,
        origin_country=line.origin_country,
        cn_rare_earth_share=line.cn_rare_earth_share,
        quantity=1.0,
        unit="kg",
        value=100.0,
        currency="USD",
        classified=bool(codes or line.hs_code or line.tech_entry),
        classification_source="order",
        made_with_cn_re_technology=line.made_with_cn_re_technology,
    )


def _hit(party: ExampleParty, country: str) -> PartyHit:
    return PartyHit(
        role=party.role,
        name_sent="Example Party",
        party_country=country,
        list_name=party.program,
        program=party.program,
        entry_id="example",
        listed_name="Example Party",
        score=1.0 if party.strength == "strong" else 0.8,
        strength=party.strength.value,
        matched="example",
        status=party.status.value,
        via_owner=party.via_owner,
    )


def example_order(example: Example) -> EnrichedOrder:
    """The enriched order an example describes, built without reference data."""
    end_user_country = example.end_user_country or example.destination_country
    party = {"name": "Example Party", "country": end_user_country}
    order = OrderEvent.model_validate(
        {
            "order_id": f"example-{example.name}",
            "event_time": datetime.combine(example.as_of, time(12), tzinfo=UTC),
            "ship_date": example.as_of,
            "exporter": {"name": "Example Exporter", "country": "CN"},
            "consignee": {"name": "Example Consignee", "country": example.destination_country},
            "end_user": party,
            "destination_country": example.destination_country,
            "end_use": {"description": example.end_use_text} if example.end_use_text else {},
            "lines": [
                {
                    "line_id": line.line_id,
                    "description": line.description,
                    "quantity": 1,
                    "unit": "kg",
                    "value": 100,
                    "currency": "USD",
                }
                for line in example.lines
            ],
        }
    )
    parties = (
        PartyFacts("exporter", "Example Exporter", "CN"),
        PartyFacts("consignee", "Example Consignee", example.destination_country),
        PartyFacts(
            "end_user", "Example Party", end_user_country, categories=frozenset(example.end_user_categories)
        ),
    )
    return EnrichedOrder(
        order=order,
        as_of=example.as_of,
        lines=tuple(_line(line) for line in example.lines),
        parties=parties,
        party_hits=tuple(_hit(p, end_user_country) for p in example.party_hits),
        end_use=EndUseFacts(
            declared=bool(example.end_use_classes or example.end_use_text),
            classes=frozenset(example.end_use_classes),
        ),
    )


def run_examples(pack: CompiledPack) -> list[ExampleResult]:
    """Evaluate every example of every rule; each result lists the outcomes its rule produced."""
    results = []
    for rule in pack.model.rules:
        for example in rule.examples:
            findings = evaluate(example_order(example), pack)
            got = tuple(str(f.outcome.value) for f in findings if f.rule_id == rule.id)
            results.append(ExampleResult(rule.id, example.name, str(example.expect), got))
    return results
