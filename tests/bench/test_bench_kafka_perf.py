"""Parsing what Kafka's ProducerPerformance and ConsumerPerformance print."""

from __future__ import annotations

import pytest

from bench.kafka_perf import parse_consumer_summary, parse_producer_summary

PRODUCER_OUTPUT = """\
24507 records sent, 4901.4 records/sec (4.10 MB/sec), 812.3 ms avg latency, 1520.0 ms max latency.
100000 records sent, 6518.918 records/sec (5.45 MB/sec), 1290.71 ms avg latency, 2893.00 ms max latency, \
1198 ms 50th, 2551 ms 95th, 2790 ms 99th, 2880 ms 99.9th.
"""

CONSUMER_OUTPUT = """\
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, \
fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-22 07:05:01:123, 2026-11-22 07:05:13:785, 83.6792, 6.6087, 100000, 7898.8942, 3406, 5590, \
14.9695, 17889.0877
"""


def test_producer_summary_is_the_final_line_not_an_interim_one() -> None:
    found = parse_producer_summary(PRODUCER_OUTPUT)
    assert found.records == 100_000
    assert found.records_per_s == pytest.approx(6518.918)
    assert (found.p50_ms, found.p95_ms, found.p99_ms) == (1198, 2551, 2790)


def test_consumer_summary_reads_the_csv_line_under_its_header() -> None:
    found = parse_consumer_summary(CONSUMER_OUTPUT)
    assert found.records == 100_000
    assert found.records_per_s == pytest.approx(7898.8942)
    assert found.fetch_records_per_s == pytest.approx(17889.0877)


@pytest.mark.parametrize("parse", [parse_producer_summary, parse_consumer_summary])
def test_output_without_a_summary_is_refused(parse: object) -> None:
    with pytest.raises(ValueError, match="summary"):
        parse("Exception in thread main: connection refused")  # type: ignore[operator]
