"""The committed JSON Schemas under schemas/json/ match the models; regenerate with
`screening schemas export schemas/json` when this fails."""

from __future__ import annotations

import pytest

from pipeline.cli.rules import schema_documents
from pipeline.settings import PROJECT_ROOT

EXPORTED = PROJECT_ROOT / "schemas" / "json"


@pytest.mark.parametrize("name", sorted(schema_documents()))
def test_exported_schema_is_up_to_date(name: str) -> None:
    committed = (EXPORTED / name).read_text(encoding="utf-8")
    assert committed == schema_documents()[name], f"run: screening schemas export schemas/json ({name})"


def test_rule_pack_schema_forbids_unknown_fields() -> None:
    import json

    schema = json.loads(schema_documents()["rulepack.json"])
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Rule"]["additionalProperties"] is False
    assert "from" in schema["$defs"]["Suspension"]["properties"]
