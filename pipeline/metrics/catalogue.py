"""Which series names the worker exports, and which ones a PromQL query names.

Dashboards and alert rules are checked against this catalogue, so a renamed metric breaks a test
instead of silently emptying a panel or disarming an alert.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "info": ("_info",),
}

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_GRAFANA_VARIABLES = re.compile(r"\$\{[^}]*\}|\$\w+")
# An identifier followed by `(` is a function or aggregation, not a metric.
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "inf", "nan", "atan2"}
)
_GROUP_MODIFIERS = re.compile(r"\b(?:group_left|group_right)\b")


def exported_series_names(registry: CollectorRegistry) -> frozenset[str]:
    """Every series name the registry can expose, with its suffixes, even before any sample exists."""
    return frozenset(
        family.name + suffix for family in registry.collect() for suffix in _SUFFIXES.get(family.type, ("",))
    )


def promql_metric_names(expr: str) -> frozenset[str]:
    """Metric and recording-rule names a PromQL expression selects (functions and labels left out)."""
    for pattern in (_STRINGS, _MATCHERS, _RANGES, _GROUPING, _GRAFANA_VARIABLES, _GROUP_MODIFIERS):
        expr = pattern.sub(" ", expr)
    return frozenset(
        name for name, call in _IDENTIFIER.findall(expr) if not call and name.lower() not in _KEYWORDS
    )
