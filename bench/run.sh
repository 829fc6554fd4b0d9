#!/usr/bin/env bash
# `make bench`: a broker of its own (port 19492, fresh data in .run/kafka-bench), the `bench` extra
# (matplotlib, py-spy, quixstreams), then `python -m bench`; the broker is stopped on exit if this
# script started it.
# Env: BENCH_KAFKA_PORT, BENCH_KAFKA_CONTROLLER_PORT, BENCH_KAFKA_DATA_DIR; arguments go to the bench.
set -euo pipefail
cd "$(dirname "$0")/.."

export KAFKA_PORT="${BENCH_KAFKA_PORT:-19492}"
export KAFKA_CONTROLLER_PORT="${BENCH_KAFKA_CONTROLLER_PORT:-19493}"
export KAFKA_DATA_DIR="${BENCH_KAFKA_DATA_DIR:-.run/kafka-bench}"
export SCREENING_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
PYTHON=.venv/bin/python

if ! "$PYTHON" -c "import matplotlib, quixstreams" 2>/dev/null || [[ ! -x .venv/bin/py-spy ]]; then
    echo "Installing the bench extra (matplotlib, py-spy, quixstreams)"
    PYTHONWARNINGS="ignore:Editable installation" "$PYTHON" -m pip install --quiet --disable-pip-version-check \
        -c requirements.lock -c bench/requirements.lock -e '.[bench]'
fi

started_broker=0
if ! deploy/kafka/broker.sh status >/dev/null 2>&1; then
    rm -rf "$KAFKA_DATA_DIR"  # every run starts on an empty broker
    deploy/kafka/broker.sh start
    started_broker=1
fi
stop_broker() { if [[ $started_broker == 1 ]]; then deploy/kafka/broker.sh stop; fi; }
trap stop_broker EXIT

"$PYTHON" -m bench "$@"
