"""Key -> partition as Kafka's Java client and aiokafka compute it, with the key's hash remembered.

Every record about one order (its route, its decision, its alerts, the agent's own partition check)
carries the same key, and aiokafka's pure-Python murmur2 costs about 8 µs per call; the worker
hashed each order's key four or five times. The partitions chosen are exactly the default ones, so
the console and other writers keyed by order id still land on the same partitions.
"""

from __future__ import annotations

import random
from functools import lru_cache

from aiokafka.partitioner import murmur2

# Enough for every order in flight at once; a miss only costs the hash again.
_REMEMBERED_KEYS = 4096


@lru_cache(maxsize=_REMEMBERED_KEYS)
def key_hash(key: bytes) -> int:
    """The non-negative murmur2 hash Kafka's default partitioner takes modulo the partition count."""
    hashed: int = murmur2(key)
    return hashed & 0x7FFFFFFF


def key_partition(key: bytes, partitions: int) -> int:
    return key_hash(key) % partitions


class RememberingPartitioner:
    """aiokafka's `DefaultPartitioner` with `key_hash`; given to faust as `producer_partitioner`."""

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            # As the default partitioner: no key, any partition (not a secret, not a key order).
            return random.choice(available or all_partitions)  # noqa: S311
        return all_partitions[key_hash(key) % len(all_partitions)]
