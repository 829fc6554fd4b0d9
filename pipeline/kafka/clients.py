"""The one place Kafka clients are built, from `Settings`: kafka-python's admin, consumer and producer,
and aiokafka's consumer and producer for the code that runs beside faust.

Connection options every client shares (bootstrap servers, client id, and later TLS or SASL) are set
in `_connection` only; callers pass what is particular to their use (acks, group, fetch sizes).
"""

from __future__ import annotations

from typing import Any

from pipeline.settings import Settings


def _connection(settings: Settings, purpose: str) -> dict[str, Any]:
    return {"bootstrap_servers": settings.bootstrap_servers, "client_id": f"{settings.app_id}-{purpose}"}


def admin(settings: Settings, purpose: str, **options: Any) -> Any:
    """kafka-python's `KafkaAdminClient`."""
    from kafka import KafkaAdminClient

    return KafkaAdminClient(**_connection(settings, purpose), **options)


def consumer(settings: Settings, purpose: str, *topics: str, **options: Any) -> Any:
    """kafka-python's `KafkaConsumer`; without a group and auto-commit unless `options` say otherwise."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        *topics,
        **_connection(settings, purpose),
        **{"group_id": None, "enable_auto_commit": False, **options},
    )


def producer(settings: Settings, purpose: str, **options: Any) -> Any:
    """kafka-python's `KafkaProducer`."""
    from kafka import KafkaProducer

    return KafkaProducer(**_connection(settings, purpose), **options)


def async_consumer(settings: Settings, purpose: str, *topics: str, **options: Any) -> Any:
    """aiokafka's `AIOKafkaConsumer` (not started); without a group and auto-commit unless `options` say
    otherwise."""
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(
        *topics,
        **_connection(settings, purpose),
        **{"group_id": None, "enable_auto_commit": False, **options},
    )


def async_producer(settings: Settings, purpose: str, **options: Any) -> Any:
    """aiokafka's `AIOKafkaProducer` (not started)."""
    from aiokafka import AIOKafkaProducer

    return AIOKafkaProducer(**_connection(settings, purpose), **options)
