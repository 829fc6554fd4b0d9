"""Reference updates: validated and swapped whole, refused ones leave the version in force."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.reference.envelope import ReferenceFileError, envelope_for, infer_kind
from pipeline.reference.snapshot import MISSING_REFERENCE_RULE
from pipeline.reference.store import Applied, LiveScreener, ReferenceStore, Refused, Unchanged
from pipeline.settings import BUNDLED_DATA, Settings
from schemas.decision import Route
from schemas.order import OrderEvent
from schemas.reference import ReferenceEnvelope, ReferenceKind, content_hash

RULES = BUNDLED_DATA / "rules" / "china.yaml"
PARTIES = BUNDLED_DATA / "parties" / "cn-mofcom-party-lists.csv"
LICENCES = BUNDLED_DATA / "master" / "licences.yaml"


def text_envelope(kind: ReferenceKind, text: str, source: str) -> ReferenceEnvelope:
    return ReferenceEnvelope(
        kind=kind,
        version=f"{source}+{content_hash(text)[:8]}",
        content_hash=content_hash(text),
        published_at=datetime.now(UTC),
        source=source,
        payload=text,
    )


BASELINE = (RULES, PARTIES, LICENCES, BUNDLED_DATA / "master" / "products.yaml")


@pytest.fixture
def store(tmp_path: Path) -> ReferenceStore:
    """A worker configured with no reference files: it depends on what is published."""
    bare = replace(Settings(), data_dir=tmp_path, rules_file=tmp_path / "none.yaml", party_list_files=())
    return ReferenceStore(bare)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> ReferenceStore:
    """A store with every bundled data set; tests that use it must leave it as they found it."""
    store = ReferenceStore(replace(Settings(), data_dir=tmp_path_factory.mktemp("reference")))
    results = store.offer_all(envelope_for(path) for path in BASELINE)
    assert all(isinstance(result, Applied) for result in results)
    return store


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (RULES, ReferenceKind.RULES),
        (PARTIES, ReferenceKind.PARTIES),
        (BUNDLED_DATA / "master" / "parties.yaml", ReferenceKind.PARTY_MASTER),
        (BUNDLED_DATA / "master" / "products.yaml", ReferenceKind.PRODUCTS),
        (LICENCES, ReferenceKind.LICENCES),
    ],
)
def test_kind_is_told_from_the_file(path: Path, kind: ReferenceKind) -> None:
    assert infer_kind(path) is kind


def test_unknown_file_needs_a_kind() -> None:
    with pytest.raises(ReferenceFileError, match="--kind"):
        infer_kind(Path("notes.txt"))


def test_envelope_version_carries_declared_version_and_hash() -> None:
    envelope = envelope_for(LICENCES)
    assert envelope.version.startswith("2026.11.22-1+")
    assert envelope.version.endswith(envelope.content_hash[:8])


def test_tampered_envelope_is_refused() -> None:
    good = envelope_for(LICENCES).model_dump()
    with pytest.raises(ValueError, match="content_hash"):
        ReferenceEnvelope.model_validate({**good, "payload": good["payload"] + "#"})


def test_without_rules_or_parties_the_worker_is_not_ready_and_holds(
    store: ReferenceStore, make_order: object
) -> None:
    assert not store.current.ready
    store.offer(envelope_for(RULES))
    assert store.current.missing == {ReferenceKind.PARTIES}
    order = OrderEvent.model_validate(make_order())  # type: ignore[operator]
    decision = LiveScreener(store).screen(order)
    assert decision.route is Route.HOLD
    assert decision.fail_closed
    assert decision.reasons[0].rule_id == MISSING_REFERENCE_RULE


def test_loaded_data_sets_are_versioned_in_every_decision(loaded: ReferenceStore, make_order: object) -> None:
    store = loaded
    assert store.current.ready
    decision = LiveScreener(store).screen(OrderEvent.model_validate(make_order()))  # type: ignore[operator]
    assert decision.versions["licences"] == store.current.versions["licences"]
    assert {"rules", "parties", "licences"} <= decision.versions.keys()
    assert not decision.fail_closed or decision.reasons[0].rule_id != MISSING_REFERENCE_RULE


@pytest.mark.parametrize(
    ("kind", "text", "source"),
    [
        (ReferenceKind.RULES, "version: 1\nrules: [{id: broken}]\n", "china.yaml"),
        (ReferenceKind.RULES, "rules: [unclosed\n", "china.yaml"),
        (ReferenceKind.PARTIES, "list,name\n", "lists.csv"),
        (ReferenceKind.LICENCES, "version: x\nlicences: [{number: L}]\n", "licences.yaml"),
        (ReferenceKind.PRODUCTS, "version: x\nproducts: [{sku: A}]\n", "products.yaml"),
    ],
)
def test_malformed_update_is_refused_and_previous_version_stays(
    loaded: ReferenceStore, kind: ReferenceKind, text: str, source: str
) -> None:
    store = loaded
    before = store.current
    result = store.offer(text_envelope(kind, text, source))
    assert isinstance(result, Refused)
    assert result.kept_version == before.envelopes[kind].version
    assert store.current is before


def test_same_content_again_is_unchanged(store: ReferenceStore) -> None:
    store.offer(envelope_for(LICENCES))
    before = store.current
    assert isinstance(store.offer(envelope_for(LICENCES)), Unchanged)
    assert store.current is before


def test_one_bad_file_at_start_up_does_not_keep_the_good_ones_out(store: ReferenceStore) -> None:
    bad = text_envelope(ReferenceKind.LICENCES, "licences: nope\n", "licences.yaml")
    results = store.offer_all([envelope_for(RULES), envelope_for(PARTIES), bad])
    assert [type(result) for result in results] == [Applied, Applied, Refused]
    assert store.current.ready
    assert ReferenceKind.LICENCES not in store.current.envelopes


def test_configured_files_serve_until_something_is_published(tmp_path: Path) -> None:
    store = ReferenceStore(replace(Settings(), data_dir=tmp_path))
    assert store.current.ready
    assert "DU-2026-SGL-000101" in store.current.licences


def _shrunk_list(keep: int) -> str:
    """The bundled list cut to its header and first `keep` designations."""
    lines = PARTIES.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[: keep + 1])


def test_party_list_that_shrinks_past_the_limit_is_quarantined(tmp_path: Path) -> None:
    store = ReferenceStore(replace(Settings(), data_dir=tmp_path))
    before = store.current
    result = store.offer(text_envelope(ReferenceKind.PARTIES, _shrunk_list(20), "lists.csv"))
    assert isinstance(result, Refused)
    assert "quarantined" in result.reason
    assert "limit 20%" in result.reason
    assert store.current is before


def test_confirmed_shrink_and_small_shrink_are_applied(tmp_path: Path) -> None:
    store = ReferenceStore(replace(Settings(), data_dir=tmp_path))
    total = len(PARTIES.read_text(encoding="utf-8").splitlines()) - 1
    small = store.offer(text_envelope(ReferenceKind.PARTIES, _shrunk_list(total - 5), "lists.csv"))
    assert isinstance(small, Applied)
    confirmed = text_envelope(ReferenceKind.PARTIES, _shrunk_list(20), "lists.csv").model_copy(
        update={"confirmed_shrink": True}
    )
    assert isinstance(store.offer(confirmed), Applied)
    assert store.current.envelopes[ReferenceKind.PARTIES].version == confirmed.version


def test_quarantine_holds_against_a_published_list_too(store: ReferenceStore) -> None:
    assert isinstance(store.offer(envelope_for(PARTIES)), Applied)
    kept = store.current.envelopes[ReferenceKind.PARTIES].version
    result = store.offer(text_envelope(ReferenceKind.PARTIES, _shrunk_list(3), "lists.csv"))
    assert isinstance(result, Refused)
    assert result.kept_version == kept
