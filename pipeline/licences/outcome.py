"""The final decision of a licence-required order once its draw has been applied (or refused)."""

from __future__ import annotations

import uuid

from pipeline.licences.ledger import DrawOutcome, DrawStatus
from pipeline.licences.requests import DrawRequest
from schemas.decision import DecisionRecord, Outcome, Reason, Route

DRAWN_RULE = "licence.drawn"
EXHAUSTED_RULE = "licence.exhausted"
NOT_ON_FILE_RULE = "licence.not-on-file"


def _drawn(request: DrawRequest) -> list[Reason]:
    return [
        Reason(
            rule_id=DRAWN_RULE,
            title="Covered by a licence",
            outcome=Outcome.LICENSED,
            line_id=line.line_id,
            explanation=(
                f"Licence {request.licence_number} item {line.item_id} covers line {line.line_id}; "
                f"drawn {line.quantity:g} and value {line.value:g}."
            ),
            evidence={"licence": request.licence_number, "item": line.item_id},
        )
        for line in request.lines
    ]


def _refused(request: DrawRequest, outcome: DrawOutcome) -> list[Reason]:
    if outcome.status is DrawStatus.NOT_ON_FILE:
        return [
            Reason(
                rule_id=NOT_ON_FILE_RULE,
                title="Licence not on file",
                outcome=Outcome.LICENCE_REQUIRED,
                explanation=f"Licence {request.licence_number} is not on file with this worker.",
            )
        ]
    return [
        Reason(
            rule_id=EXHAUSTED_RULE,
            title="Licence exhausted",
            outcome=Outcome.LICENCE_REQUIRED,
            line_id=gap.line_id,
            explanation=(
                f"licence exhausted: licence {request.licence_number} item {gap.item_id} has "
                f"{max(gap.left_quantity, 0.0):g} and value {max(gap.left_value, 0.0):g} left; "
                f"line {gap.line_id} needs {gap.wanted_quantity:g} and {gap.wanted_value:g}."
            ),
            evidence={"licence": request.licence_number, "item": gap.item_id},
        )
        for gap in outcome.shortfalls
    ]


def final_decision(
    request: DrawRequest, outcome: DrawOutcome, licences_version: str | None
) -> DecisionRecord | None:
    """Release when the draw was granted, send to licensing otherwise; nothing for a cancellation.

    The decision id is derived from the draw, so a replayed request republishes the identical record.
    """
    provisional = request.decision
    if provisional is None or outcome.status is DrawStatus.CANCELLED:
        return None
    granted = outcome.status is DrawStatus.GRANTED
    extra = _drawn(request) if granted else _refused(request, outcome)
    versions = dict(provisional.versions)
    if licences_version is not None:
        versions["licences"] = licences_version
    key = f"{request.order_id}/{outcome.revision}/{request.licence_number}/{outcome.status.value}"
    return provisional.model_copy(
        update={
            "decision_id": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
            "route": Route.RELEASE if granted else Route.LICENSE,
            "reasons": [*provisional.reasons, *extra],
            "versions": versions,
        }
    )
