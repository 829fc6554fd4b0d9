# Shared paths and checks for the Kafka scripts. Sourced, not run.
KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$KAFKA_DIR/../.." && pwd)"
KAFKA_CACHE="${KAFKA_CACHE:-$PROJECT_ROOT/.cache/kafka}"
KAFKA_LIBS="$KAFKA_CACHE/libs"

require_tool() { # name, what to install
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "error: '$1' not found; install $2 (e.g. apt-get install $3) and retry" >&2
        exit 1
    fi
}

require_java() { require_tool java "Java 17 or newer" openjdk-17-jre-headless; }
