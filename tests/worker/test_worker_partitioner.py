"""The worker's partitioner picks exactly the partitions Kafka's default partitioner picks."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from pipeline.flow.partitioner import RememberingPartitioner, key_hash, key_partition


@given(key=st.binary(min_size=0, max_size=64), partitions=st.integers(min_value=1, max_value=64))
def test_a_key_lands_where_the_default_partitioner_puts_it(key: bytes, partitions: int) -> None:
    everyone = list(range(partitions))
    expected = DefaultPartitioner()(key, everyone, everyone)
    assert RememberingPartitioner()(key, everyone, everyone) == expected
    # Asked again (now remembered), the answer is the same.
    assert RememberingPartitioner()(key, everyone, []) == expected
    assert key_partition(key, partitions) == expected


# Kafka's own test vectors for its murmur2 (UtilsTest.testMurmur2), as signed 32-bit values.
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"abc": 479470107,
}


def test_keys_hash_as_the_java_client_does() -> None:
    for key, signed in JAVA_MURMUR2.items():
        assert key_hash(key) == signed & 0x7FFFFFFF, key


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    partitioner = RememberingPartitioner()
    chosen = {partitioner(None, [0, 1, 2, 3], [2, 3]) for _ in range(50)}
    assert chosen <= {2, 3}
    assert {partitioner(None, [0, 1], []) for _ in range(50)} <= {0, 1}
