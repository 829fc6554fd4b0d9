"""The broker's ceiling: Kafka's own ProducerPerformance and ConsumerPerformance tools.

They run from the kafka-tools jar that deploy/kafka/fetch-jars.sh resolves, on the same broker, topic
layout and record size as the pipeline, with real serialized orders as payloads.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

KAFKA_LIBS = PROJECT_ROOT / ".cache" / "kafka" / "libs"
LOG4J_CONFIG = PROJECT_ROOT / "deploy" / "kafka" / "log4j2.properties"
_PRODUCER_SUMMARY = re.compile(
    r"(?P<records>\d+) records sent, (?P<rate>[\d.]+) records/sec \((?P<mb>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th, "
    r"(?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th"
)


@dataclass(frozen=True, slots=True)
class ProducerCeiling:
    records: int
    records_per_s: float
    mb_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class ConsumerCeiling:
    records: int
    records_per_s: float
    mb_per_s: float
    fetch_records_per_s: float


def parse_producer_summary(output: str) -> ProducerCeiling:
    """The last summary line ProducerPerformance prints (it also prints interim lines)."""
    matches = list(_PRODUCER_SUMMARY.finditer(output))
    if not matches:
        msg = f"no ProducerPerformance summary in output:\n{output[-2000:]}"
        raise ValueError(msg)
    last = matches[-1]
    return ProducerCeiling(
        records=int(last["records"]),
        records_per_s=float(last["rate"]),
        mb_per_s=float(last["mb"]),
        p50_ms=float(last["p50"]),
        p95_ms=float(last["p95"]),
        p99_ms=float(last["p99"]),
    )


def parse_consumer_summary(output: str) -> ConsumerCeiling:
    """ConsumerPerformance prints a CSV header then one line of figures."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines[:-1]):
        if line.startswith("start.time"):
            header = [name.strip() for name in line.split(",")]
            values = dict(zip(header, (value.strip() for value in lines[index + 1].split(",")), strict=False))
            return ConsumerCeiling(
                records=int(values["data.consumed.in.nMsg"]),
                records_per_s=float(values["nMsg.sec"]),
                mb_per_s=float(values["MB.sec"]),
                fetch_records_per_s=float(values.get("fetch.nMsg.sec", values["nMsg.sec"])),
            )
    msg = f"no ConsumerPerformance summary in output:\n{output[-2000:]}"
    raise ValueError(msg)


def _java(main_class: str, *args: str, timeout_s: float) -> str:
    command = [
        "java",
        "-Xmx512m",
        f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
        "-cp",
        f"{KAFKA_LIBS}/*",
        main_class,
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        msg = f"{main_class} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return done.stdout


def producer_ceiling(bootstrap: str, topic: str, records: int, payload_file: Path) -> ProducerCeiling:
    """Unthrottled produce of `records` real orders (random picks from `payload_file`, one a line)."""
    output = _java(
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic", topic,
        "--num-records", str(records),
        "--throughput", "-1",
        "--payload-file", str(payload_file),
        "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "linger.ms=5",
        timeout_s=300,
    )  # fmt: skip
    return parse_producer_summary(output)


def consumer_ceiling(bootstrap: str, topic: str, records: int) -> ConsumerCeiling:
    output = _java(
        "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server", bootstrap,
        "--topic", topic,
        "--messages", str(records),
        "--timeout", "60000",
        timeout_s=300,
    )  # fmt: skip
    return parse_consumer_summary(output)
