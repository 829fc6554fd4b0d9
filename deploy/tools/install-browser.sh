#!/usr/bin/env bash
# Install Debian's Chromium for the console's browser tests. Idempotent: does nothing when present.
# Playwright drives this binary through executable_path; it never downloads a browser of its own.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [[ ! -x "$CHROMIUM" ]]; then
    echo "error: $CHROMIUM missing after apt-get install chromium" >&2
    exit 1
fi
