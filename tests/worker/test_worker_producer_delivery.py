"""The worker's faust producer gets the settings' delivery: acks=all and idempotence (or neither)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.app import create_app
from pipeline.kafka.faust_transport import ScreeningProducer
from pipeline.settings import Settings


def faust_producer_options(settings: Settings) -> dict[str, object]:
    """The options the app's producer hands to AIOKafkaProducer, and what that producer made of them."""
    app = create_app(settings)
    app.finalize()
    faust_producer: Any = app.producer
    assert isinstance(faust_producer, ScreeningProducer)
    options = {**faust_producer._settings_default(), **faust_producer._settings_extra()}

    async def build() -> bool:
        # AIOKafkaProducer needs a running loop to be built; it connects only when started.
        producer = faust_producer._new_producer()
        try:
            return producer._txn_manager is not None
        finally:
            await producer.stop()

    return {
        "acks": options["acks"],
        "enable_idempotence": options.get("enable_idempotence", False),
        "txn_manager": asyncio.run(build()),
    }


def test_the_faust_producer_is_idempotent_with_acks_all(tmp_path: Path) -> None:
    options = faust_producer_options(replace(Settings(), app_id="delivery", data_dir=tmp_path))
    assert options["acks"] == -1
    assert options["enable_idempotence"] is True
    # aiokafka keeps an idempotent producer's sequence numbers in its transaction manager.
    assert options["txn_manager"] is True


def test_without_idempotence_the_faust_producer_takes_the_acks_asked_for(tmp_path: Path) -> None:
    settings = replace(
        Settings(), app_id="delivery", data_dir=tmp_path, producer_acks="1", producer_idempotence=False
    )
    options = faust_producer_options(settings)
    assert options["acks"] == 1
    assert options["enable_idempotence"] is False
    assert options["txn_manager"] is False
