#!/usr/bin/env bash
# The compose `cluster` profile's secured three-node cluster, inside apache/kafka containers:
#   compose-node.sh init    certificates, SCRAM passwords and admin.properties in $CLUSTER_RUN (once)
#   compose-node.sh N       node N: cluster-node.properties rendered for host kafka-N, storage
#                           formatted with the SCRAM users, then the broker in the foreground
# Same template and certificate script as cluster.sh; only the addresses differ.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="${CLUSTER_RUN:-/run/cluster}"
KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
USERS=(admin operator worker console producer)
NODES=(1 2 3)

random_secret() { (set +o pipefail; LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32); }

init() {
    mkdir -p "$RUN/secrets"
    "$HERE/make-certs.sh" "$RUN/tls" "dns:kafka-1,dns:kafka-2,dns:kafka-3,dns:localhost,ip:127.0.0.1"
    local user
    for user in "${USERS[@]}"; do
        [[ -s "$RUN/secrets/$user.password" ]] || random_secret >"$RUN/secrets/$user.password"
    done
    [[ -s "$RUN/cluster.id" ]] || "$KAFKA_HOME/bin/kafka-storage.sh" random-uuid >"$RUN/cluster.id"
    # For the brokers' healthcheck and for kafka-*.sh tools run as the admin user.
    cat >"$RUN/admin.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$RUN/secrets/admin.password")";
ssl.truststore.type=PKCS12
ssl.truststore.location=$RUN/tls/truststore.p12
ssl.truststore.password=$(cat "$RUN/tls/store.password")
PROPS
    # The brokers run as the image's user, the screening jobs as theirs: both only read these.
    chmod -R go+rX "$RUN"
    echo "Cluster credentials ready in $RUN"
}

node() {
    local n="$1" voters="" m props scram=() user
    for m in "${NODES[@]}"; do voters+="${voters:+,}$m@kafka-$m:9094"; done
    props="$(mktemp -d)/server.properties"
    sed -e "s|@NODE_ID@|$n|" -e "s|@QUORUM_VOTERS@|$voters|" \
        -e "s|@CLIENT_BIND@|0.0.0.0:9092|" -e "s|@CLIENT_ADVERTISED@|kafka-$n:9092|" \
        -e "s|@INTERNAL_BIND@|0.0.0.0:9091|" -e "s|@INTERNAL_ADVERTISED@|kafka-$n:9091|" \
        -e "s|@CONTROLLER_BIND@|0.0.0.0:9094|" \
        -e "s|@LOG_DIRS@|/var/lib/kafka/data|" -e "s|@TLS_DIR@|$RUN/tls|" \
        -e "s|@STORE_PASSWORD@|$(cat "$RUN/tls/store.password")|" \
        "$HERE/cluster-node.properties" >"$props"
    for user in "${USERS[@]}"; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$RUN/secrets/$user.password")]")
    done
    "$KAFKA_HOME/bin/kafka-storage.sh" format -t "$(cat "$RUN/cluster.id")" -c "$props" --ignore-formatted "${scram[@]}"
    exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$props"
}

case "${1:-}" in
    init) init ;;
    1 | 2 | 3) node "$1" ;;
    *)
        echo "usage: $0 init|1|2|3" >&2
        exit 2
        ;;
esac
