"""How many records an agent takes per wake-up, and how long it waits for them, come from settings."""

from __future__ import annotations

from pipeline.settings import Settings, load_settings


def test_defaults_take_up_to_500_records_waiting_at_most_20_ms() -> None:
    settings = load_settings({})

    assert (settings.agent_batch_records, settings.agent_batch_within_seconds) == (500, 0.02)
    assert settings == Settings()


def test_the_environment_sets_batch_size_and_wait() -> None:
    settings = load_settings(
        {"SCREENING_AGENT_BATCH_RECORDS": "50", "SCREENING_AGENT_BATCH_WITHIN_SECONDS": "0.002"}
    )

    assert (settings.agent_batch_records, settings.agent_batch_within_seconds) == (50, 0.002)
