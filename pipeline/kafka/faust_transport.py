"""faust's aiokafka transport with the settings' producer idempotence.

faust 0.15 builds its AIOKafkaProducer from its own settings (`Producer._settings_default`: acks from
`producer_acks`, no idempotence) and adds `enable_idempotence` only inside exactly-once
transactions (`Producer._settings_extra`). An at-least-once worker that wants a retried send never
to be written twice sets it here, on the one producer faust makes for the app and its tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka


class IdempotentProducer(faust_aiokafka.Producer):
    """faust's producer with `enable_idempotence` from the app (`ScreeningApp.producer_idempotence`)."""

    def _settings_extra(self) -> Mapping[str, Any]:
        extra = dict(super()._settings_extra())
        if getattr(self.app, "producer_idempotence", False):
            extra.setdefault("enable_idempotence", True)
        return extra


class IdempotentTransport(faust_aiokafka.Transport):
    Producer = IdempotentProducer


class ScreeningApp(faust.App):
    """`faust.App` whose transports build `IdempotentProducer`s when `producer_idempotence` is set."""

    producer_idempotence: bool = False

    def _new_transport(self) -> Any:
        return IdempotentTransport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> Any:
        return IdempotentTransport(self.conf.broker_producer, self)
