"""The rule-pack file format: versioned, cited export-control rules with embedded example cases.

A pack is data an auditor reads; the loader in `pipeline.rules.loader` validates a YAML file into
these models and compiles it for the engine. Every model forbids unknown fields so a typo in a rule
file is refused at load instead of silently widening or narrowing a rule.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.codes import CONTROL_CODE_RE, HS_PREFIX_RE, TECH_ENTRY_RE, check_country
from schemas.decision import Citation, Outcome

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9.-]{2,80}$"


def _control_code(value: str) -> str:
    if not CONTROL_CODE_RE.match(value):
        msg = f"malformed control code {value!r} (expected e.g. 1C902 or 1C902.a.1)"
        raise ValueError(msg)
    return value


def _hs_prefix(value: str) -> str:
    if not HS_PREFIX_RE.match(value):
        msg = f"malformed customs code {value!r} (expected 4 to 10 digits)"
        raise ValueError(msg)
    return value


def _tech_entry(value: str) -> str:
    if not TECH_ENTRY_RE.match(value):
        msg = f"malformed technology catalogue entry {value!r} (expected six digits then J or X)"
        raise ValueError(msg)
    return value


ControlCode = Annotated[str, AfterValidator(_control_code)]
HsPrefix = Annotated[str, AfterValidator(_hs_prefix)]
TechEntry = Annotated[str, AfterValidator(_tech_entry)]
Country = Annotated[str, AfterValidator(check_country)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Confidence(StrEnum):
    """How sure the sources are (legend of the regulatory brief)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RuleOutcome(StrEnum):
    """What a rule decides for what it covers; engine and decision stage map it onto a route."""

    PROHIBITED = "prohibited"
    LICENCE_REQUIRED = "licence_required"
    REVIEW = "review"


class ExemptOutcome(StrEnum):
    EXEMPT = "exempt"
    REVIEW = "review"
    LICENCE_REQUIRED = "licence_required"


class LicenceType(StrEnum):
    SINGLE = "single"
    GENERAL = "general"
    REGISTRATION = "registration"


class PartyStrength(StrEnum):
    STRONG = "strong"
    POTENTIAL = "potential"


class ListStatus(StrEnum):
    LISTED = "listed"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    CANCELLED = "cancelled"


class Suspension(_Data):
    """A window, both ends inclusive (`to` is the last day suspended), in which the rule does not apply.

    After `to` the rule applies again; without `resumption` (later evidence that it did) its findings
    carry at most `medium` confidence and say the end of the suspension is unconfirmed.
    """

    from_: date = Field(alias="from")
    to: date
    instrument: str
    citation: Citation | None = None
    confidence: Confidence = Confidence.HIGH
    note: str | None = None
    resumption: Citation | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Suspension:
        if self.to < self.from_:
            msg = f"suspension ends ({self.to}) before it starts ({self.from_})"
            raise ValueError(msg)
        return self


class Exemption(_Data):
    """When the declared end use falls in one of `end_use_classes`, the rule's outcome is replaced.

    Only an exemption the sources agree on (confidence high) may release (`exempt`); a disputed one
    holds for review and its note (the duty it carries) is stated in the reason.
    """

    end_use_classes: list[str] = Field(min_length=1)
    outcome_instead: ExemptOutcome
    citation: Citation
    confidence: Confidence
    note: str | None = None

    @model_validator(mode="after")
    def _disputed_never_releases(self) -> Exemption:
        if self.outcome_instead is ExemptOutcome.EXEMPT and self.confidence is not Confidence.HIGH:
            msg = f"an exemption at {self.confidence.value} confidence must not release: use review"
            raise ValueError(msg)
        return self


class DescribedItem(_Data):
    """An item of the measure named in words (element or material and its form, en/zh/ja): a line whose
    description (or product-master description) has a word of every group is the item, whatever
    customs code it is declared under. Where the measure sets thresholds (purity, size, density) the
    words cannot check, `thresholds` holds the line for review instead of requiring the licence."""

    terms: list[list[str]] = Field(min_length=1)
    thresholds: bool = False

    @model_validator(mode="after")
    def _groups(self) -> DescribedItem:
        if any(not group for group in self.terms):
            msg = "described item has an empty group of terms"
            raise ValueError(msg)
        return self


class Scope(_Data):
    """What a rule covers.

    Item selectors (control_codes, shared_control_codes, hs_codes, tech_entries, tech_entry_kinds,
    description_terms, items_of, any_dual_use, any_item, any_technology, controlled_lines,
    foreign_made_min_cn_re_share, foreign_direct_product) choose lines; a line is covered when any
    selector covers it. The order conditions narrow the rule and must all hold, with two pairs joined
    by OR because the measures are written that way: destination_countries OR end_user_countries
    ("to Japan, or to a Japanese end user through a third country"), and end_user_categories OR
    end_use_classes ("military users or military uses"); end_use_terms is a further AND.

    `control_codes` are codes the measure puts on the list at the precision it states: while the
    measure is not in force the code is not on the list (the umbrella list rule leaves it alone),
    while it is in force its finding replaces the umbrella's. `shared_control_codes` also name other
    items of the list (3A001 is electronics as well as No. 58's Li-ion cells): they apply only when
    the line's description names the measure's item (`item_terms`) and never take a line away from
    the umbrella rule.
    """

    control_codes: list[ControlCode] = Field(default_factory=list)
    shared_control_codes: list[ControlCode] = Field(default_factory=list)
    item_terms: list[str] = Field(
        default_factory=list,
        description="words naming the measure's items: resolve shared customs and control codes",
    )
    hs_codes: list[HsPrefix] = Field(default_factory=list)
    tech_entries: list[TechEntry] = Field(default_factory=list)
    tech_entry_kinds: list[Literal["J", "X"]] = Field(default_factory=list)
    exclude_tech_entries: list[TechEntry] = Field(default_factory=list)
    items_of: list[str] = Field(default_factory=list, description="rule ids whose item selectors apply")
    description_terms: list[list[str]] = Field(
        default_factory=list,
        description="groups of words: a line whose description has a word of every group is covered",
    )
    described_items: list[DescribedItem] = Field(
        default_factory=list,
        description="the measure's goods named in words; covers goods lines only, not technology lines",
    )
    technology_only: bool = Field(
        default=False,
        description="description_terms cover only technology lines (entry, E-code or technology words)",
    )
    lists_dual_use: bool | None = Field(
        default=None,
        description="the codes are Dual-Use List items (default: true when codes or items_of are given)",
    )
    any_dual_use: bool = False
    any_item: bool = False
    any_technology: bool = False
    controlled_lines: bool = Field(
        default=False,
        description="lines another rule in force prohibits or requires a licence for",
    )
    foreign_made_min_cn_re_share: float | None = Field(default=None, gt=0, le=1)
    foreign_direct_product: bool = Field(
        default=False,
        description="items made outside China with Chinese rare-earth technology (product master)",
    )
    residual: bool = Field(
        default=False,
        description="apply only to lines that no item-specific rule names (the list as umbrella)",
    )
    hs_codes_reference_only: bool = Field(
        default=False,
        description="the customs codes are broader than the item: a match on them alone holds for review",
    )

    destination_countries: list[Country] = Field(default_factory=list)
    end_user_countries: list[Country] = Field(default_factory=list)
    end_user_categories: list[str] = Field(default_factory=list)
    end_use_classes: list[str] = Field(default_factory=list)
    end_use_terms: list[str] = Field(
        default_factory=list, description="and the declared end-use text names one of these words"
    )
    party_programs: list[str] = Field(default_factory=list)
    party_match: list[PartyStrength] = Field(default_factory=lambda: [PartyStrength.STRONG])
    list_status: list[ListStatus] = Field(default_factory=lambda: [ListStatus.LISTED])
    party_ownership: Literal["direct", "owned", "any"] = Field(
        default="direct",
        description="direct: the party is listed; owned: only through a >= 50 % listed owner; any: both",
    )

    @model_validator(mode="after")
    def _selects_items(self) -> Scope:
        selectors = (
            self.control_codes,
            self.shared_control_codes,
            self.hs_codes,
            self.tech_entries,
            self.tech_entry_kinds,
            self.description_terms,
            self.described_items,
            self.items_of,
            self.any_dual_use,
            self.any_item,
            self.any_technology,
            self.controlled_lines,
            self.foreign_made_min_cn_re_share is not None,
            self.foreign_direct_product,
        )
        if not any(selectors):
            msg = "scope selects no items (give codes, tech entries, items_of, any_dual_use or any_item)"
            raise ValueError(msg)
        if self.shared_control_codes and not self.item_terms:
            msg = "shared_control_codes need item_terms to tell the measure's item from the others"
            raise ValueError(msg)
        if any(not group for group in self.description_terms):
            msg = "description_terms has an empty group"
            raise ValueError(msg)
        return self


class ExampleLine(_Data):
    line_id: str = "1"
    description: str = "example line"
    control_code: ControlCode | None = None
    hs_code: str | None = None
    tech_entry: TechEntry | None = None
    origin_country: Country | None = None
    cn_rare_earth_share: float | None = Field(default=None, ge=0, le=1)
    made_with_cn_re_technology: bool = False


class ExampleParty(_Data):
    program: str
    role: str = "end_user"
    strength: PartyStrength = PartyStrength.STRONG
    status: ListStatus = ListStatus.LISTED
    via_owner: str | None = None


class Example(_Data):
    """An order snippet, the date it is screened as of, and what this rule must conclude for it."""

    name: str
    as_of: date
    lines: list[ExampleLine] = Field(min_length=1)
    destination_country: Country = "DE"
    end_user_country: Country | None = None
    end_user_categories: list[str] = Field(default_factory=list)
    end_use_classes: list[str] = Field(default_factory=lambda: ["civil"])
    end_use_text: str | None = None
    party_hits: list[ExampleParty] = Field(default_factory=list)
    expect: Outcome | Literal["not_applicable"]


class Rule(_Data):
    id: str = Field(pattern=RULE_ID_PATTERN)
    title: str = Field(min_length=3)
    summary: str = Field(min_length=3, description="one line a compliance operator reads in a hold")
    citation: Citation
    confidence: Confidence
    note: str | None = None
    effective_from: date
    effective_to: date | None = None
    suspensions: list[Suspension] = Field(default_factory=list)
    scope: Scope
    outcome: RuleOutcome
    licence_types_allowed: list[LicenceType] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            msg = f"effective_to ({self.effective_to}) is before effective_from ({self.effective_from})"
            raise ValueError(msg)
        return self


class RulePack(_Data):
    version: str = Field(min_length=1)
    name: str = Field(min_length=1)
    published: date
    description: str | None = None
    # Libraries the rules point at through YAML anchors, validated like everything else.
    citations: dict[str, Citation] = Field(default_factory=dict)
    suspensions: dict[str, Suspension] = Field(default_factory=dict)
    # Words that make a line a technology (know-how, drawings, process data), for technology rules,
    # unless its customs code is a good's other than these carriers of technical data.
    technology_markers: list[str] = Field(default_factory=list)
    technology_carrier_hs_codes: list[HsPrefix] = Field(default_factory=list)
    # Groups of words (all must occur) by which a line's description says it was made outside China
    # with Chinese rare-earth technology (2025 No. 61 item 2), as the product master's flag does.
    foreign_direct_product_terms: list[list[str]] = Field(default_factory=list)
    # Words that hold a shorter term of the pack but name something else (ytterbium holds terbium).
    distinct_words: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)
