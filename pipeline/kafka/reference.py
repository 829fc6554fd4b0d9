"""Publish reference envelopes (`pipeline.reference.envelope`) to their compacted `reference.<kind>` topics.

The record key is the kind, so compaction keeps the latest version of each data set and a worker
starting later reads exactly one value per kind.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.kafka import clients
from pipeline.settings import Settings
from schemas.reference import ReferenceEnvelope


def publish(settings: Settings, envelopes: Iterable[ReferenceEnvelope], *, timeout: float = 30.0) -> None:
    """Send every envelope and wait until the broker has them all."""
    producer = clients.producer(settings, "reference", max_request_size=2 * 1024 * 1024)
    try:
        futures = [
            producer.send(
                settings.topics.reference(envelope.kind.value),
                key=envelope.kind.value.encode(),
                value=envelope.model_dump_json().encode(),
            )
            for envelope in envelopes
        ]
        for future in futures:
            future.get(timeout=timeout)
    finally:
        producer.close(timeout=timeout)
