"""Findings to decisions: `route.route_of` (HOLD > LICENSE > RELEASE) and `record.build_decision`;
`assemble` builds schema models from the engine's typed values without validating them again and
`encoding.model_json` writes their JSON (pydantic's bytes, by orjson) once per decision."""
