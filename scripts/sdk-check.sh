#!/usr/bin/env bash
# Runs the official-OpenAI-SDK checks (tests/python/sdk_test.py) against a demo
# gateway that is already running, e.g. one started with
#   cargo run -- serve --listen 127.0.0.1:8080
# Usage: scripts/sdk-check.sh [PORT]      (default 8080)
#
# Uses <repo>/.venv, creating it and installing the openai package from PyPI
# when needed (the same venv `cargo test --test python_sdk` uses). The checks
# expect the demo configuration: mock provider, keys mk-demo-alice / mk-demo-bob.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${1:-8080}"
VENV="$REPO/.venv"
PY="$VENV/bin/python"

command -v python3 >/dev/null || { echo "sdk-check: python3 not found" >&2; exit 1; }
if ! "$PY" -c 'import openai' 2>/dev/null; then
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check 'openai>=1.50,<3'
fi
curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" ||
    { echo "sdk-check: no gateway answering on 127.0.0.1:$PORT" >&2; exit 1; }
NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
    exec env -u OPENAI_API_KEY -u OPENAI_BASE_URL -u HTTP_PROXY -u http_proxy \
    "$PY" "$REPO/tests/python/sdk_test.py" "$PORT"
