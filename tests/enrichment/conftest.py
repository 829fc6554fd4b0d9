"""Fixtures of the enrichment tests: the screener over the bundled lists, built once per session."""

from __future__ import annotations

import pytest

from pipeline.enrichment.parties.screener import PartyScreener, load_party_screener
from pipeline.settings import Settings


@pytest.fixture(scope="session")
def bundled_screener() -> PartyScreener:
    return load_party_screener(Settings())
