#!/usr/bin/env bash
# Unpack promtool and amtool from Debian's prometheus and prometheus-alertmanager packages into
# .cache/tools/bin, without installing the packages or starting any service. Idempotent: a second
# run finds the binaries and does nothing. Prints the bin directory on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${MONITORING_TOOLS_DIR:-$ROOT/.cache/tools}"
BIN="$TOOLS/bin"
DEBS="$TOOLS/debs"

declare -A PACKAGE_OF=([promtool]=prometheus [amtool]=prometheus-alertmanager)

download() {
    # apt-get download writes into the current directory; refresh the package lists only on failure.
    (cd "$DEBS" && apt-get download "$1" >&2) \
        || { apt-get update >&2 && (cd "$DEBS" && apt-get download "$1" >&2); }
}

install_tool() {
    local tool="$1" package="${PACKAGE_OF[$1]}" deb unpacked
    if [[ -x "$BIN/$tool" ]]; then
        return 0
    fi
    mkdir -p "$BIN" "$DEBS"
    deb="$(find "$DEBS" -maxdepth 1 -name "${package}_*.deb" -print -quit)"
    if [[ -z "$deb" ]]; then
        download "$package"
        deb="$(find "$DEBS" -maxdepth 1 -name "${package}_*.deb" -print -quit)"
    fi
    unpacked="$(mktemp -d "$TOOLS/unpack.XXXXXX")"
    dpkg -x "$deb" "$unpacked"
    # Copy to a temporary name first so a half-written binary never looks installed.
    cp "$unpacked/usr/bin/$tool" "$BIN/.$tool.partial"
    rm -rf "$unpacked"
    chmod 0755 "$BIN/.$tool.partial"
    mv "$BIN/.$tool.partial" "$BIN/$tool"
}

for tool in promtool amtool; do
    install_tool "$tool"
done
echo "$BIN"
