#!/usr/bin/env bash
# Load test of `fundq serve` on the sample: 16 psycopg clients for 30 s (bench/serve_load.py).
# FUNDQ_BIN picks the binary (default: the release build); FUNDQ_PYTHON a Python with psycopg.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FUNDQ_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/fundq-target}/release/fundq}"
python="${FUNDQ_PYTHON:-$HOME/.cache/fundq-venv/bin/python}"
log="$(mktemp)"
"$bin" serve --pg 127.0.0.1:0 --flight 127.0.0.1:0 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "fundq serve: ready" "$log" && break; sleep 0.1; done
port="$(sed -n 's/^fundq serve: postgres 127.0.0.1://p' "$log")"
echo "fundq serve on port $port ($bin), $(nproc) cores"
"$python" bench/serve_load.py 127.0.0.1 "$port" "${CLIENTS:-16}" "${SECONDS_TO_RUN:-30}"
