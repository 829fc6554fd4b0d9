#!/usr/bin/env bash
# Build the pinned helm from its Go module into .cache/bin (no prebuilt binary is downloaded; the
# Go module proxy serves the checksummed sources). Prints the folder holding helm. Idempotent.
set -euo pipefail

HELM_MODULE="helm.sh/helm/v4"
HELM_VERSION="v4.3.2"
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$PROJECT_ROOT/.cache/bin"
HELM="$BIN/helm"

built_version() { go version -m "$HELM" 2>/dev/null | awk -v m="$HELM_MODULE" '$1 == "mod" && $2 == m {print $3}'; }

mkdir -p "$BIN"
exec 9>"$BIN/.helm.lock"
flock 9  # make test and pytest may ask at once
# Without go the version cannot be read back; a helm this script built earlier is kept.
if [[ -x "$HELM" ]] && { ! command -v go >/dev/null 2>&1 || [[ "$(built_version)" == "$HELM_VERSION" ]]; }; then
    echo "$BIN"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "error: 'go' not found; install the Go toolchain (1.24 or newer, e.g. apt-get install golang) to build helm $HELM_VERSION" >&2
    exit 1
fi
echo "Building helm $HELM_VERSION from $HELM_MODULE with $(go version | cut -d' ' -f3) ..." >&2
GOBIN="$BIN" GOFLAGS="-buildvcs=false" go install "$HELM_MODULE/cmd/helm@$HELM_VERSION" >&2
echo "$BIN"
