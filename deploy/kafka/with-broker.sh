#!/usr/bin/env bash
# Run a command with the local Kafka broker up: reuse a running one, or start one and stop it
# afterwards (also on failure). Several runs may share a broker: each holds a lease, and the
# broker this script started is stopped only when the last lease is released. Exit code: the command's.
set -euo pipefail
source "$(dirname "$0")/common.sh"

DATA_DIR="${KAFKA_DATA_DIR:-$PROJECT_ROOT/.run/kafka}"
mkdir -p "$DATA_DIR/leases"
LEASES="$DATA_DIR/leases"
STARTED_MARK="$DATA_DIR/started-by-wrapper"
exec 8>"$DATA_DIR/.wrapper.lock"

prune_dead_leases() {
    local lease
    for lease in "$LEASES"/*; do
        [[ -e "$lease" ]] || continue
        kill -0 "$(basename "$lease")" 2>/dev/null || rm -f "$lease"
    done
}

release() {
    flock 8
    rm -f "$LEASES/$$"
    prune_dead_leases
    if [[ -f "$STARTED_MARK" ]] && [[ -z "$(ls -A "$LEASES")" ]]; then
        rm -f "$STARTED_MARK"
        "$KAFKA_DIR/broker.sh" stop
    fi
    flock -u 8
}

flock 8
prune_dead_leases
touch "$LEASES/$$"
trap release EXIT
if ! "$KAFKA_DIR/broker.sh" status >/dev/null; then
    # KAFKA_FRESH=1 (make test): a broker this script starts begins with no topics. Test runs create
    # thousands of partitions; carried over, they slow every later start and the broker itself.
    if [[ "${KAFKA_FRESH:-0}" == 1 ]]; then
        rm -rf "$DATA_DIR/logs" "$DATA_DIR/cluster.id"
    fi
    "$KAFKA_DIR/broker.sh" start
    touch "$STARTED_MARK"
else
    "$KAFKA_DIR/broker.sh" wait
fi
flock -u 8

set +e
"$@"
status=$?
set -e
exit "$status"
