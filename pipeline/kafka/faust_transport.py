"""faust's aiokafka transport, fitted to a company cluster: the settings' producer idempotence, and
topics the platform team made used without asking to create them again; its consumer commits every
record the worker finished (pipeline/kafka/faust_commits.py).

faust 0.15 builds its AIOKafkaProducer from its own settings (`Producer._settings_default`: acks from
`producer_acks`, no idempotence) and adds `enable_idempotence` only inside exactly-once
transactions (`Producer._settings_extra`); an at-least-once worker that wants a retried send never
to be written twice sets it here. faust also declares every topic it uses at start and skips only
those already in its producer's metadata, which may not list them yet: the broker then answers a
principal without Create with an authorization error even for a topic that exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from aiokafka.errors import TopicAuthorizationFailedError
from faust.transport.drivers import aiokafka as faust_aiokafka

from pipeline.kafka.faust_commits import ScreeningConsumer


class ScreeningProducer(faust_aiokafka.Producer):
    """faust's producer with `enable_idempotence` from the app (`ScreeningApp.producer_idempotence`)."""

    def _settings_extra(self) -> Mapping[str, Any]:
        extra = dict(super()._settings_extra())
        if getattr(self.app, "producer_idempotence", False):
            extra.setdefault("enable_idempotence", True)
        return extra

    async def create_topic(self, topic: str, partitions: int, replication: int, **options: Any) -> None:
        """faust's declaration, where a topic that exists needs no Create grant."""
        try:
            await super().create_topic(topic, partitions, replication, **options)
        except TopicAuthorizationFailedError:
            metadata = await self._ensure_producer().client.fetch_all_metadata()
            if topic not in metadata.topics():
                raise


class ScreeningTransport(faust_aiokafka.Transport):
    Consumer = ScreeningConsumer
    Producer = ScreeningProducer


class ScreeningApp(faust.App):
    """`faust.App` whose transports build `ScreeningProducer`s; `producer_idempotence` from settings."""

    producer_idempotence: bool = False

    def _new_transport(self) -> Any:
        return ScreeningTransport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> Any:
        return ScreeningTransport(self.conf.broker_producer, self)
