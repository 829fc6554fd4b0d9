"""Findings to decisions: `route.route_of` (HOLD > LICENSE > RELEASE) and `record.build_decision`."""
