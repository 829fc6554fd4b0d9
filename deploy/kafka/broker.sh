#!/usr/bin/env bash
# A single-node KRaft Apache Kafka broker (combined broker + controller) on 127.0.0.1.
#   broker.sh start|stop|status|wait|restart
# Env: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), KAFKA_DATA_DIR (.run/kafka),
#      KAFKA_WAIT_SECONDS (180), KAFKA_HEAP (1g). start and stop are idempotent.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
DATA_DIR="${KAFKA_DATA_DIR:-$PROJECT_ROOT/.run/kafka}"
WAIT_SECONDS="${KAFKA_WAIT_SECONDS:-180}"
# The test suite creates thousands of partitions on one broker; 512 MB ran out of heap under that.
HEAP="${KAFKA_HEAP:-1g}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
PID_FILE="$DATA_DIR/broker.pid"
PROPS="$DATA_DIR/server.properties"
LOG_DIRS="$DATA_DIR/logs"
CLUSTER_ID_FILE="$DATA_DIR/cluster.id"

our_pid() { # prints the pid of the broker this data dir started, if it is alive
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $PROPS"; then
        echo "$pid"
        return 0
    fi
    rm -f "$PID_FILE"  # stale: the process died or the pid was reused
    return 1
}

# During start-up the pid may not have exec'd java yet (setsid, a loaded host): alive is enough.
started_alive() {
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null)" && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_properties() {
    cat >"$PROPS.new" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS
num.network.threads=2
num.io.threads=2
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
    # A changed configuration (ports, paths) makes the old metadata log unusable: start clean.
    if [[ -f "$PROPS" ]] && ! cmp -s "$PROPS" "$PROPS.new"; then
        echo "Broker configuration changed; clearing old data in ${DATA_DIR#"$PROJECT_ROOT"/}"
        rm -rf "$LOG_DIRS" "$CLUSTER_ID_FILE"
    fi
    mv "$PROPS.new" "$PROPS"
}

java_cp() { java -cp "$KAFKA_LIBS/*" "$@"; }

format_storage() {
    local cluster_id=""
    [[ -f "$CLUSTER_ID_FILE" ]] && cluster_id="$(cat "$CLUSTER_ID_FILE")"
    local meta="$LOG_DIRS/meta.properties"
    # Stale data: formatted for another cluster id (or the id file was lost).
    if [[ -f "$meta" ]] && { [[ -z "$cluster_id" ]] || ! grep -qx "cluster.id=$cluster_id" "$meta"; }; then
        echo "Stale broker data (cluster id mismatch); clearing ${LOG_DIRS#"$PROJECT_ROOT"/}"
        rm -rf "$LOG_DIRS"
    fi
    if [[ -z "$cluster_id" ]]; then
        cluster_id="$(java_cp kafka.tools.StorageTool random-uuid)"
        echo "$cluster_id" >"$CLUSTER_ID_FILE"
    fi
    java_cp -Dlog4j2.configurationFile="file:$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$DATA_DIR" \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" --ignore-formatted >/dev/null
}

cmd_wait() {
    local deadline=$((SECONDS + WAIT_SECONDS))
    until port_open "$PORT" && broker_answers; do
        if ((SECONDS >= deadline)); then
            echo "error: Kafka did not answer on 127.0.0.1:$PORT within ${WAIT_SECONDS}s; last broker log lines:" >&2
            tail -n 40 "$DATA_DIR/broker.log" "$DATA_DIR/broker.out" 2>/dev/null >&2 || true
            return 1
        fi
        if [[ -f "$DATA_DIR/starting" ]] && ! started_alive; then
            echo "error: the Kafka broker exited during start-up; last output:" >&2
            tail -n 40 "$DATA_DIR/broker.out" "$DATA_DIR/broker.log" 2>/dev/null >&2 || true
            rm -f "$DATA_DIR/starting"
            return 1
        fi
        sleep 0.5
    done
    rm -f "$DATA_DIR/starting"
}

# Readiness = the broker serves metadata requests (fenced brokers do not). Uses the project venv's
# kafka-python when present; otherwise the broker's own start-up line in its log.
broker_answers() {
    local python="$PROJECT_ROOT/.venv/bin/python"
    if [[ -x "$python" ]]; then
        "$python" -W ignore - "$PORT" <<'PY' >/dev/null 2>&1
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{sys.argv[1]}", request_timeout_ms=3000)
admin.list_topics()
admin.close()
PY
    else
        grep -q "Kafka Server started" "$DATA_DIR/broker.log" 2>/dev/null
    fi
}

cmd_start() {
    if pid="$(our_pid)"; then
        echo "Kafka already running (pid $pid) on 127.0.0.1:$PORT"
        # Someone asked for it explicitly: a test run that started it must no longer stop it.
        rm -f "$DATA_DIR/started-by-wrapper"
        cmd_wait
        return
    fi
    if port_open "$PORT"; then
        echo "A broker already listens on 127.0.0.1:$PORT (not started from ${DATA_DIR#"$PROJECT_ROOT"/}); using it"
        cmd_wait
        return
    fi
    require_java
    "$KAFKA_DIR/fetch-jars.sh"
    write_properties
    format_storage
    rm -f "$DATA_DIR/broker.log"
    touch "$DATA_DIR/starting"
    # setsid: the broker outlives the make or test process that started it.
    setsid java "-Xms$HEAP" "-Xmx$HEAP" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dkafka.logs.dir="$DATA_DIR" \
        -Dlog4j2.configurationFile="file:$KAFKA_DIR/log4j2.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$PROPS" >"$DATA_DIR/broker.out" 2>&1 </dev/null 8>&- 9>&- &
    echo $! >"$PID_FILE"
    echo "Starting Kafka (pid $!) on 127.0.0.1:$PORT, data in ${DATA_DIR#"$PROJECT_ROOT"/}"
    if ! cmd_wait; then
        cmd_stop >/dev/null  # a half-started broker would block the next start's port
        return 1
    fi
    echo "Kafka is ready on 127.0.0.1:$PORT"
}

cmd_stop() {
    local pid
    if ! pid="$(our_pid)"; then
        echo "Kafka not running (from ${DATA_DIR#"$PROJECT_ROOT"/})"
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "Kafka did not stop within 30s; killing pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE" "$DATA_DIR/starting"
    echo "Kafka stopped"
}

cmd_status() {
    local pid
    if pid="$(our_pid)"; then
        echo "running (pid $pid) on 127.0.0.1:$PORT"
    elif port_open "$PORT"; then
        echo "running (external) on 127.0.0.1:$PORT"
    else
        echo "stopped"
        return 3
    fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop && cmd_start ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    *)
        echo "usage: $0 start|stop|restart|status|wait" >&2
        exit 2
        ;;
esac
