#!/usr/bin/env bash
# Resolve the pinned Kafka broker jars (pom.xml) from Maven Central into .cache/kafka/libs.
# Skips the download when the jars were resolved from the same pom before.
set -euo pipefail
source "$(dirname "$0")/common.sh"
require_java

mkdir -p "$KAFKA_CACHE"
stamp="$KAFKA_CACHE/.resolved"
pom_hash="$(sha256sum "$KAFKA_DIR/pom.xml" | cut -d' ' -f1)"

exec 9>"$KAFKA_CACHE/.lock"
flock 9  # several make targets may resolve at once
if [[ -f "$stamp" && "$(cat "$stamp")" == "$pom_hash" && -d "$KAFKA_LIBS" ]]; then
    exit 0
fi

require_tool mvn "Apache Maven" maven
echo "Resolving Kafka jars from Maven Central into ${KAFKA_LIBS#"$PROJECT_ROOT"/} ..."
staging="$KAFKA_CACHE/libs.new"
rm -rf "$staging"
mvn -q -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$staging"
rm -rf "$KAFKA_LIBS"
mv "$staging" "$KAFKA_LIBS"
echo "$pom_hash" >"$stamp"
