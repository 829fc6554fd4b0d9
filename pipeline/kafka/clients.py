"""The one place Kafka clients are built, from `Settings`: kafka-python's admin, consumer and producer,
and aiokafka's consumer and producer for the code that runs beside faust.

Connection options every client shares (bootstrap servers, client id, TLS and SASL from
`pipeline/security.py`) are set here only; producers also get the settings' delivery guarantees (acks,
idempotence). Callers pass what is particular to their use (group, fetch sizes), which wins.
"""

from __future__ import annotations

from typing import Any

from pipeline import security
from pipeline.settings import Settings


def _connection(settings: Settings, purpose: str) -> dict[str, Any]:
    return {"bootstrap_servers": settings.bootstrap_servers, "client_id": f"{settings.app_id}-{purpose}"}


def admin(settings: Settings, purpose: str, **options: Any) -> Any:
    """kafka-python's `KafkaAdminClient`."""
    from kafka import KafkaAdminClient

    return KafkaAdminClient(
        **_connection(settings, purpose), **{**security.kafka_python_config(settings), **options}
    )


def consumer(settings: Settings, purpose: str, *topics: str, **options: Any) -> Any:
    """kafka-python's `KafkaConsumer`; without a group and auto-commit unless `options` say otherwise."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        *topics,
        **_connection(settings, purpose),
        **{
            "group_id": None,
            "enable_auto_commit": False,
            **security.kafka_python_config(settings),
            **options,
        },
    )


def producer(settings: Settings, purpose: str, **options: Any) -> Any:
    """kafka-python's `KafkaProducer`."""
    from kafka import KafkaProducer

    return KafkaProducer(
        **_connection(settings, purpose), **{**security.kafka_python_producer_config(settings), **options}
    )


def async_consumer(settings: Settings, purpose: str, *topics: str, **options: Any) -> Any:
    """aiokafka's `AIOKafkaConsumer` (not started); without a group and auto-commit unless `options` say
    otherwise."""
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(
        *topics,
        **_connection(settings, purpose),
        **{"group_id": None, "enable_auto_commit": False, **security.aiokafka_config(settings), **options},
    )


def async_producer(settings: Settings, purpose: str, **options: Any) -> Any:
    """aiokafka's `AIOKafkaProducer` (not started)."""
    from aiokafka import AIOKafkaProducer

    return AIOKafkaProducer(
        **_connection(settings, purpose), **{**security.aiokafka_producer_config(settings), **options}
    )
