#!/usr/bin/env bash
# Installs what the console's browser test needs, when it is missing:
# Debian's chromium (apt) and playwright-core (npm ci, from package-lock.json).
# Idempotent; exits non-zero with a reason on stderr when something cannot be
# installed (the Rust test then skips and prints that reason).
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: /usr/bin/chromium is absent and apt-get is not available" >&2
        exit 3
    fi
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            SUDO="sudo -n"
        else
            echo "setup: /usr/bin/chromium is absent and this user cannot run apt-get" >&2
            exit 3
        fi
    fi
    echo "setup: installing chromium with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2 || { echo "setup: apt-get update failed" >&2; exit 3; }
    $SUDO apt-get install -y -qq --no-install-recommends chromium >&2 \
        || { echo "setup: apt-get install chromium failed" >&2; exit 3; }
fi

# Japanese glyphs for readable screenshots (small package; best effort: the
# test does not depend on how the text looks).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=ja 2>/dev/null)" ] \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing fonts-ipafont-gothic for Japanese text" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-ipafont-gothic >&2 \
        || echo "setup: no Japanese font installed; screenshots will show boxes" >&2
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "setup: node and npm are required (apt-get install nodejs npm)" >&2
    exit 3
fi

if [ ! -f node_modules/playwright-core/package.json ]; then
    echo "setup: npm ci (playwright-core)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "setup: npm ci failed" >&2; exit 3; }
fi
echo "setup: ready" >&2
