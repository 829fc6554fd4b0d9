"""Findings to a route: the most restrictive finding wins (HOLD > LICENSE > RELEASE)."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.rules.findings import Finding
from schemas.decision import Outcome, Route

ROUTE_OF_OUTCOME: dict[Outcome, Route] = {
    Outcome.PROHIBITED: Route.HOLD,
    Outcome.REVIEW: Route.HOLD,
    Outcome.LICENCE_REQUIRED: Route.LICENSE,
    Outcome.EXEMPT: Route.RELEASE,
    Outcome.LICENSED: Route.RELEASE,
    Outcome.INFO: Route.RELEASE,
}


def route_of(findings: Iterable[Finding]) -> Route:
    """RELEASE when nothing restricts the order, else the route of its most restrictive finding."""
    route = Route.RELEASE
    for finding in findings:
        candidate = ROUTE_OF_OUTCOME[finding.outcome]
        if candidate.severity > route.severity:
            route = candidate
            if route is Route.HOLD:
                break
    return route
