#!/usr/bin/env bash
# A secured three-node KRaft cluster on 127.0.0.1 (combined broker + controller nodes, TLS,
# SASL/SCRAM-SHA-512, ACLs), from the same jars as broker.sh. For the cluster and fault tests.
#   cluster.sh start|stop|status|wait        the whole cluster (start and stop are idempotent)
#   cluster.sh kill N|start-node N            kill -9 node N / start it again and wait until it is live
#   cluster.sh restart N                      stop node N cleanly (SIGTERM), start it, wait until it is live
#   cluster.sh pause N|resume N               SIGSTOP / SIGCONT node N (a node that stops answering)
#   cluster.sh env USER                       the SCREENING_* lines that connect as USER
#   cluster.sh acls                           the ACLs of every role, as kafka-acls.sh lines
# Users: admin (super user), operator, worker, console, producer; passwords in DIR/secrets/.
# Env: KAFKA_CLUSTER_PORT_BASE (19990): node N's client port is base+N, its broker port base+3+N;
#      KAFKA_CLUSTER_CONTROLLER_PORT_BASE (20090): node N's controller port is base+N;
#      KAFKA_CLUSTER_DIR (.run/cluster), KAFKA_CLUSTER_HEAP (512m), KAFKA_CLUSTER_WAIT_SECONDS (180),
#      KAFKA_CLUSTER_FRESH=1: start from empty data (new users, ACLs and topics).
set -euo pipefail
source "$(dirname "$0")/common.sh"

NODES=(1 2 3)
USERS=(admin operator worker console producer)
PORT_BASE="${KAFKA_CLUSTER_PORT_BASE:-19990}"
CONTROLLER_PORT_BASE="${KAFKA_CLUSTER_CONTROLLER_PORT_BASE:-20090}"
HEAP="${KAFKA_CLUSTER_HEAP:-512m}"
WAIT_SECONDS="${KAFKA_CLUSTER_WAIT_SECONDS:-180}"
mkdir -p "${KAFKA_CLUSTER_DIR:-$PROJECT_ROOT/.run/cluster}"
CLUSTER_DIR="$(cd "${KAFKA_CLUSTER_DIR:-$PROJECT_ROOT/.run/cluster}" && pwd)"
TLS_DIR="$CLUSTER_DIR/tls"
SECRETS_DIR="$CLUSTER_DIR/secrets"
CLUSTER_ID_FILE="$CLUSTER_DIR/cluster.id"
PYTHON="$PROJECT_ROOT/.venv/bin/python"

client_port() { echo $((PORT_BASE + $1)); }
internal_port() { echo $((PORT_BASE + 3 + $1)); }
controller_port() { echo $((CONTROLLER_PORT_BASE + $1)); }
node_dir() { echo "$CLUSTER_DIR/node-$1"; }
shown() { echo "${1#"$PROJECT_ROOT"/}"; }

bootstrap() {
    local n servers=()
    for n in "${NODES[@]}"; do servers+=("127.0.0.1:$(client_port "$n")"); done
    (IFS=,; echo "${servers[*]}")
}

check_node() {
    [[ "${1:-}" =~ ^[123]$ ]] || { echo "error: node must be 1, 2 or 3 (got '${1:-}')" >&2; exit 2; }
}

node_pid() { # the pid of node N started from this data dir, if it is alive
    local pid_file pid
    pid_file="$(node_dir "$1")/broker.pid"
    [[ -f "$pid_file" ]] || return 1
    pid="$(cat "$pid_file")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $(node_dir "$1")/server.properties"; then
        echo "$pid"
        return 0
    fi
    rm -f "$pid_file"
    return 1
}

node_paused() { [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == T ]]; }

require_venv() {
    if [[ ! -x "$PYTHON" ]]; then
        echo "error: the cluster's users and ACLs are set up with the project's venv; run 'make venv' first" >&2
        exit 1
    fi
}

admin() { "$PYTHON" -W ignore "$KAFKA_DIR/cluster_admin.py" --bootstrap "$(bootstrap)" --cluster-dir "$CLUSTER_DIR" "$@"; }

random_secret() { (set +o pipefail; LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32); }

ensure_secrets() { # new passwords mean the SCRAM users stored in the metadata log are stale
    local user made=0
    mkdir -p "$SECRETS_DIR"
    chmod 700 "$SECRETS_DIR"
    for user in "${USERS[@]}"; do
        if [[ ! -s "$SECRETS_DIR/$user.password" ]]; then
            (umask 077; random_secret >"$SECRETS_DIR/$user.password")
            made=1
        fi
    done
    if ((made)); then
        wipe_data "new SCRAM passwords"
    fi
}

wipe_data() {
    local n
    for n in "${NODES[@]}"; do
        if [[ -d "$(node_dir "$n")/logs" ]]; then
            echo "Clearing cluster data ($1)"
            break
        fi
    done
    for n in "${NODES[@]}"; do rm -rf "$(node_dir "$n")/logs"; done
    rm -f "$CLUSTER_ID_FILE"
}

render_node() { # node N's server.properties from the shared template
    local n="$1" voters="" m
    for m in "${NODES[@]}"; do voters+="${voters:+,}$m@127.0.0.1:$(controller_port "$m")"; done
    sed -e "s|@NODE_ID@|$n|" -e "s|@QUORUM_VOTERS@|$voters|" \
        -e "s|@CLIENT_BIND@|127.0.0.1:$(client_port "$n")|" \
        -e "s|@CLIENT_ADVERTISED@|127.0.0.1:$(client_port "$n")|" \
        -e "s|@INTERNAL_BIND@|127.0.0.1:$(internal_port "$n")|" \
        -e "s|@INTERNAL_ADVERTISED@|127.0.0.1:$(internal_port "$n")|" \
        -e "s|@CONTROLLER_BIND@|127.0.0.1:$(controller_port "$n")|" \
        -e "s|@LOG_DIRS@|$(node_dir "$n")/logs|" -e "s|@TLS_DIR@|$TLS_DIR|" \
        -e "s|@STORE_PASSWORD@|$(cat "$TLS_DIR/store.password")|" \
        "$KAFKA_DIR/cluster-node.properties"
}

write_properties() { # a changed configuration (ports, paths) makes every node's metadata unusable
    local n changed=0 props
    for n in "${NODES[@]}"; do
        mkdir -p "$(node_dir "$n")"
        props="$(node_dir "$n")/server.properties"
        (umask 077; render_node "$n" >"$props.new")
        if [[ -f "$props" ]] && ! cmp -s "$props" "$props.new"; then changed=1; fi
    done
    if ((changed)); then wipe_data "configuration changed"; fi
    for n in "${NODES[@]}"; do mv "$(node_dir "$n")/server.properties.new" "$(node_dir "$n")/server.properties"; done
}

java_tool() {
    java -Dlog4j2.configurationFile="file:$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$CLUSTER_DIR" \
        -cp "$KAFKA_LIBS/*" "$@"
}

format_node() { # the SCRAM users go into the bootstrap metadata, before any node serves clients
    local n="$1" user scram=()
    for user in "${USERS[@]}"; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$SECRETS_DIR/$user.password")]")
    done
    java_tool kafka.tools.StorageTool format -t "$(cat "$CLUSTER_ID_FILE")" \
        -c "$(node_dir "$n")/server.properties" --ignore-formatted "${scram[@]}" >/dev/null
}

launch_node() {
    local n="$1" dir
    dir="$(node_dir "$n")"
    rm -f "$dir/broker.log"
    # setsid: the node outlives the test process that started it; stop, kill and pause find it by pid.
    setsid java "-Xms$HEAP" "-Xmx$HEAP" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dkafka.logs.dir="$dir" \
        -Dlog4j2.configurationFile="file:$KAFKA_DIR/log4j2.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" >"$dir/broker.out" 2>&1 </dev/null 8>&- 9>&- &
    echo $! >"$dir/broker.pid"
    echo "Starting node $n (pid $!): clients on 127.0.0.1:$(client_port "$n"), data in $(shown "$dir")"
}

running_nodes() {
    local n live=()
    for n in "${NODES[@]}"; do node_pid "$n" >/dev/null && live+=("$n"); done
    (IFS=,; echo "${live[*]}")
}

wait_for() { # node ids (comma-separated) to be live brokers; prints the nodes' logs when they are not
    local nodes="$1" n
    if ! admin wait --nodes "$nodes" --timeout "$WAIT_SECONDS"; then
        for n in ${nodes//,/ }; do
            echo "--- node $n: last lines of broker.out and broker.log" >&2
            tail -n 15 "$(node_dir "$n")/broker.out" "$(node_dir "$n")/broker.log" 2>/dev/null >&2 || true
        done
        return 1
    fi
}

write_client_env() { # DIR/USER.env: what `source` needs to connect as USER (the password stays in its file)
    local user
    for user in "${USERS[@]}"; do
        cat >"$CLUSTER_DIR/$user.env" <<ENV
export SCREENING_BOOTSTRAP_SERVERS=$(bootstrap)
export SCREENING_SECURITY_PROTOCOL=SASL_SSL
export SCREENING_SASL_MECHANISM=SCRAM-SHA-512
export SCREENING_SASL_USERNAME=$user
export SCREENING_SASL_PASSWORD_FILE=$SECRETS_DIR/$user.password
export SCREENING_SSL_CAFILE=$TLS_DIR/ca.pem
export SCREENING_REPLICATION_FACTOR=3
export SCREENING_MIN_INSYNC_REPLICAS=2
ENV
    done
}

cmd_start() {
    require_venv
    local n started=0
    if [[ "$(running_nodes)" == "1,2,3" ]]; then
        echo "Cluster already running on $(bootstrap)"
        cmd_wait
        return
    fi
    require_java
    "$KAFKA_DIR/fetch-jars.sh"
    if [[ "${KAFKA_CLUSTER_FRESH:-0}" == 1 && -z "$(running_nodes)" ]]; then
        wipe_data "KAFKA_CLUSTER_FRESH=1"
    fi
    "$KAFKA_DIR/make-certs.sh" "$TLS_DIR" "dns:localhost,ip:127.0.0.1" >/dev/null
    ensure_secrets
    if [[ -z "$(running_nodes)" ]]; then write_properties; fi
    [[ -s "$CLUSTER_ID_FILE" ]] || java_tool kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE"
    for n in "${NODES[@]}"; do
        node_pid "$n" >/dev/null && continue
        format_node "$n" &
    done
    wait
    for n in "${NODES[@]}"; do
        node_pid "$n" >/dev/null && continue
        launch_node "$n"
        started=1
    done
    if ! wait_for 1,2,3; then
        ((started)) && cmd_stop >/dev/null
        return 1
    fi
    admin apply-acls
    write_client_env
    echo "Cluster ready on $(bootstrap) (SASL_SSL, SCRAM-SHA-512); 'source $(shown "$CLUSTER_DIR")/worker.env' connects as worker"
}

cmd_wait() {
    require_venv
    wait_for "$(running_nodes)"
}

stop_node() { # SIGTERM, a paused node resumed first so it can act on it; SIGKILL after 30 s
    local n="$1" pid
    pid="$(node_pid "$n")" || return 0
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "Node $n did not stop within 30s; killing pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(node_dir "$n")/broker.pid"
    echo "Node $n stopped"
}

cmd_stop() {
    local n
    [[ -n "$(running_nodes)" ]] || { echo "Cluster not running (from $(shown "$CLUSTER_DIR"))"; return 0; }
    # Together: one by one, the last two nodes would wait for a quorum that has already gone.
    for n in "${NODES[@]}"; do stop_node "$n" & done
    wait
}

cmd_status() {
    local n pid state=3
    for n in "${NODES[@]}"; do
        if pid="$(node_pid "$n")"; then
            state=0
            if node_paused "$pid"; then
                echo "node $n: paused (pid $pid) on 127.0.0.1:$(client_port "$n")"
            else
                echo "node $n: running (pid $pid) on 127.0.0.1:$(client_port "$n")"
            fi
        else
            echo "node $n: stopped"
        fi
    done
    return "$state"
}

cmd_kill() {
    local pid
    check_node "$1"
    pid="$(node_pid "$1")" || { echo "Node $1 is not running"; return 0; }
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$(node_dir "$1")/broker.pid"
    echo "Node $1 killed (pid $pid)"
}

cmd_start_node() {
    check_node "$1"
    require_venv
    if ! node_pid "$1" >/dev/null; then
        [[ -f "$(node_dir "$1")/server.properties" ]] || { echo "error: start the cluster first" >&2; return 1; }
        launch_node "$1"
    fi
    wait_for "$1"
    echo "Node $1 is live"
}

cmd_restart() { # one step of a rolling restart
    check_node "$1"
    require_venv
    [[ -f "$(node_dir "$1")/server.properties" ]] || { echo "error: start the cluster first" >&2; return 1; }
    stop_node "$1"
    launch_node "$1"
    wait_for "$1"
    echo "Node $1 restarted and live"
}

cmd_signal() { # pause|resume N
    local pid
    check_node "$2"
    pid="$(node_pid "$2")" || { echo "error: node $2 is not running" >&2; return 1; }
    if [[ "$1" == pause ]]; then
        kill -STOP "$pid"
        echo "Node $2 paused (pid $pid)"
    else
        kill -CONT "$pid"
        echo "Node $2 resumed (pid $pid)"
    fi
}

cmd_env() {
    local user="${1:-}"
    [[ " ${USERS[*]} " == *" $user "* ]] || { echo "error: user must be one of: ${USERS[*]}" >&2; exit 2; }
    [[ -f "$CLUSTER_DIR/$user.env" ]] || { echo "error: start the cluster first" >&2; exit 1; }
    cat "$CLUSTER_DIR/$user.env"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    kill) cmd_kill "${2:-}" ;;
    start-node) cmd_start_node "${2:-}" ;;
    restart) cmd_restart "${2:-}" ;;
    pause | resume) cmd_signal "$1" "${2:-}" ;;
    env) cmd_env "${2:-}" ;;
    acls) require_venv && admin print-acls ;;
    *)
        echo "usage: $0 start|stop|status|wait|kill N|start-node N|restart N|pause N|resume N|env USER|acls" >&2
        exit 2
        ;;
esac
