"""Party master: facts for known parties by id or name, order facts for unknown ones, refusal of bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.enrichment.enriched import PartyFacts
from pipeline.enrichment.party_master import PartyMaster, PartyMasterError
from pipeline.settings import Settings
from schemas.order import Party


@pytest.fixture(scope="module")
def master() -> PartyMaster:
    return PartyMaster.load(Settings().party_master_file)


def test_known_party_by_id_gets_categories_and_parent(master: PartyMaster) -> None:
    facts = master.facts("end_user", Party(party_id="P-JP-JSDF-GSDF", name="JGSDF Camp Asaka", country="JP"))
    assert facts == PartyFacts(
        role="end_user",
        name="JGSDF Camp Asaka",
        country="JP",
        party_id="P-JP-JSDF-GSDF",
        categories=frozenset({"military", "government"}),
        parent_id="P-JP-MOD",
        parent_share=1.0,
    )


def test_known_party_by_name_or_alias(master: PartyMaster) -> None:
    facts = master.facts("end_user", Party(name="防衛省", country="JP"))
    assert facts.party_id == "P-JP-MOD"
    assert facts.categories == {"military", "government"}


def test_unknown_party_keeps_the_order_facts(master: PartyMaster) -> None:
    facts = master.facts("consignee", Party(party_id="X-1", name="Unknown Trading", country="SG"))
    assert facts == PartyFacts(role="consignee", name="Unknown Trading", country="SG", party_id="X-1")


def test_version_and_owner_lookup(master: PartyMaster) -> None:
    assert master.version.startswith("2026-11-22+")
    owner = master.owner("P-JP-MHI")
    assert owner is not None
    assert owner.categories == {"defence_industry"}
    assert master.owner("nobody") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "version: '1'\nparties:\n  - {id: A, name: A, country: JP, categories: [pirates]}\n",
            "unknown categories",
        ),
        (
            "version: '1'\nparties:\n  - {id: A, name: A, country: JP, parent: B, parent_share: 0.6}\n",
            "parents not",
        ),
        ("version: '1'\nparties:\n  - {id: A, name: A, country: XX}\n", "country"),
        ("version: '1'\nparties:\n  - {id: A, name: A, country: JP, parent_share: 0.6}\n", "go together"),
    ],
)
def test_malformed_master_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "parties.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PartyMasterError, match=reason):
        PartyMaster.load(path)
