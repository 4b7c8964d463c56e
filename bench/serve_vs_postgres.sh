#!/usr/bin/env bash
# `fundq serve` against PostgreSQL 15 under the same load, in one run (issue 15).
#
#   bench/serve_vs_postgres.sh                          # from anywhere; it works in the repo root
#   CLIENTS=16 ROUNDS=1 ROUND_SECONDS=5 bench/serve_vs_postgres.sh     # a quick try
#
# What it does:
#   1. installs postgresql-15 from Debian (apt-get) when $PG_BIN/initdb is missing, and psycopg
#      (tests/clients/requirements.txt) into the venv when it is missing;
#   2. starts PostgreSQL: `initdb` into a temporary folder, as the user postgres when run as
#      root, listening on 127.0.0.1 only (a free port, no Unix socket), trust authentication,
#      server settings left at their defaults; it is stopped and the folder removed on exit;
#   3. loads the sample into it through the same source CSVs that scripts/build-sample.sh imports
#      into data/ (data/ledger.csv -> ledger, …): the tables of sql/tables/*.sql, run unchanged
#      (tables without a CSV, such as detail, budget and note, stay empty); `amount` + `unit`
#      become the table's exact `…_yuan` column (万元 × 10000), as fundq's import does; then for
#      each sql/views/<name>/v<N>.sql a view <name>_v<N>, and <name> for the latest version, in
#      dependency order (a view PostgreSQL cannot plan is skipped with the reason);
#   4. starts `fundq serve --pg 127.0.0.1:0 --flight 127.0.0.1:0` on ./data and ./sql, once per
#      setting of FUNDQ_RESULT_CACHE_MB (by default two servers: "fundq" with fundq's default
#      result cache and "fundq-cache0" keeping no answers, see below), each with a settings file
#      raising max_connections to 100 (PostgreSQL's default; fundq's is 64, and the 64-client
#      load plus a check connection closing would touch it);
#   5. checks that each fundq returns PostgreSQL's rows (bench/serve_vs_postgres.py): every
#      statement of the load with every parameter set, then every view as a whole; rows are
#      compared as sorted multisets, numbers as decimals (1.50 = 1.5, NULL = NULL). A difference
#      in the load's statements stops the benchmark;
#   6. runs the load: psycopg 3 clients with server-side prepared statements (prepare=True),
#      each cycling through budget_execution, yoy_growth, fund_balance, per_capita (the rows of one
#      region, year and fund) and a ledger aggregate, over every region and year of
#      data/ledger.csv and every fund of data/funds.csv; each result's row count must equal the
#      check's. For each client count, ROUNDS rounds of ROUND_SECONDS against each server,
#      rotating which goes first. Connecting and preparing are not timed. The clients run as
#      threads spread over LOAD_PROCESSES processes, so one GIL does not cap the load;
#   7. prints per client count and server: queries, q/s, p50, p99 and max latency, errors, the
#      CPU the load generator used, q/s of each round, and the ratio fundq/PostgreSQL of q/s
#      (one per fundq server).
#
# Environment:
#   FUNDQ          fundq binary (default ${CARGO_TARGET_DIR:-target}/release/fundq; FUNDQ_BIN
#                  is accepted too). Use a release build: debug numbers mean nothing.
#   CLIENTS        client counts, one measurement each (default "1 16 64")
#   ROUNDS         rounds per server and client count (default 3)
#   ROUND_SECONDS  length of one round (default 10)
#   LOAD_PROCESSES processes the clients are spread over (default: the number of cores, at least 2)
#   PG_BIN         PostgreSQL's programs (default /usr/lib/postgresql/15/bin)
#   FUNDQ_VENV     Python venv with psycopg (default $HOME/.cache/fundq-venv; made when missing)
#   FUNDQ_RESULT_CACHE_MB  result_cache_mb of each fundq server to measure, `default` for
#                  fundq's own (default "default 0"). The load repeats 40 statements, so with
#                  the cache fundq answers nearly all of them from kept answers, while
#                  PostgreSQL executes every one; with 0 fundq plans each statement once and
#                  executes it every time, as PostgreSQL does with prepared statements.
#
# The servers, the load generator and the machine's other work share the same cores: on a small
# machine the numbers are a comparison, not a server's capacity.
#
# Exit status: 0 same rows and no failed query; 1 rows differed or a query failed; 2 setup error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CLIENTS="${CLIENTS:-1 16 64}"
ROUNDS="${ROUNDS:-3}"
ROUND_SECONDS="${ROUND_SECONDS:-10}"
LOAD_PROCESSES="${LOAD_PROCESSES:-$(( $(nproc) > 2 ? $(nproc) : 2 ))}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
VENV="${FUNDQ_VENV:-$HOME/.cache/fundq-venv}"
FUNDQ="${FUNDQ:-${FUNDQ_BIN:-${CARGO_TARGET_DIR:-target}/release/fundq}}"
FUNDQ_RESULT_CACHE_MB="${FUNDQ_RESULT_CACHE_MB:-default 0}"

die() { echo "serve_vs_postgres.sh: $*" >&2; exit 2; }

# fundq must serve exactly ./data and ./sql, with no users, whatever the caller's environment says.
unset FUNDQ_DATA FUNDQ_SQL FUNDQ_MEMORY_LIMIT_MB FUNDQ_PG_USER FUNDQ_PG_PASSWORD

# --- 1. programs -------------------------------------------------------------------------------
[[ -x "$FUNDQ" ]] || die "fundq binary not found: $FUNDQ (cargo build --release, or set FUNDQ)"
FUNDQ="$(cd "$(dirname "$FUNDQ")" && pwd)/$(basename "$FUNDQ")"

if [[ ! -x "$PG_BIN/initdb" ]]; then
    [[ "$(id -u)" == 0 ]] || die "$PG_BIN/initdb is missing; install postgresql-15 (as root)"
    echo "installing postgresql-15 (apt-get)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
    [[ -x "$PG_BIN/initdb" ]] || die "postgresql-15 installed, but $PG_BIN/initdb is missing"
fi

if ! "$VENV/bin/python" -c "import psycopg" 2>/dev/null; then
    echo "installing tests/clients/requirements.txt into $VENV" >&2
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/clients/requirements.txt \
        || die "pip install failed"
fi
PY="$VENV/bin/python"

# --- 2. PostgreSQL -----------------------------------------------------------------------------
WORK="$(mktemp -d -t fundq-vs-postgres.XXXXXX)"
chmod 755 "$WORK"
PGDATA="$WORK/pgdata"
mkdir "$PGDATA"
if [[ "$(id -u)" == 0 ]]; then
    # PostgreSQL refuses to run as root.
    id postgres >/dev/null 2>&1 || die "running as root, but there is no user postgres to run it as"
    chown postgres: "$PGDATA"
    as_postgres=(runuser -u postgres --)
else
    as_postgres=()
fi
FUNDQ_PIDS=()
cleanup() {
    # Runs under set -e: every command here must succeed or be allowed to fail.
    for pid in "${FUNDQ_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -f "$PGDATA/postmaster.pid" ]]; then
        "${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
# The Python steps run in the background and are waited for, so that a signal stops them at once
# (bash runs a trap only after a foreground command ends).
PY_PID=""
on_signal() {
    if [[ -n "$PY_PID" ]]; then
        kill "$PY_PID" 2>/dev/null || true
        wait "$PY_PID" 2>/dev/null || true
    fi
    exit 2
}
trap on_signal INT TERM
run_python() {
    "$PY" bench/serve_vs_postgres.py "$@" &
    PY_PID=$!
    local rc=0
    wait "$PY_PID" || rc=$?
    PY_PID=""
    return "$rc"
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
PG_PORT="$(free_port)"
"${as_postgres[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
"${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=''" start \
    >/dev/null || { cat "$PGDATA/server.log" >&2; die "PostgreSQL did not start"; }

# --- 3. the sample, tables and views in PostgreSQL ---------------------------------------------
run_python load-postgres "127.0.0.1:$PG_PORT" || exit $?

# --- 4. fundq serve, once per result cache setting ---------------------------------------------
FUNDQ_SERVERS=()
start_fundq() {  # NAME RESULT_CACHE_MB|default
    local name="$1" cache="$2" config="$WORK/$1.toml" log="$WORK/$1.log"
    printf '[serve]\nmax_connections = 100\n' >"$config"
    [[ "$cache" == default ]] || printf 'result_cache_mb = %s\n' "$cache" >>"$config"
    "$FUNDQ" serve --pg 127.0.0.1:0 --flight 127.0.0.1:0 --config "$config" 2>"$log" &
    local pid=$!
    FUNDQ_PIDS+=("$pid")
    for _ in $(seq 600); do
        grep -q "^fundq serve: ready" "$log" && break
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "fundq serve ($name) exited"; }
        sleep 0.1
    done
    if ! grep -q "^fundq serve: ready" "$log"; then
        cat "$log" >&2
        die "fundq serve ($name) is not ready after 60 s"
    fi
    local address
    address="$(sed -n 's/^fundq serve: postgres //p' "$log")"
    FUNDQ_SERVERS+=(--fundq "$name=$address")
    echo "$name: fundq serve on $address, result_cache_mb $cache"
}
for cache in $FUNDQ_RESULT_CACHE_MB; do
    if [[ "$cache" == default ]]; then name=fundq; else name="fundq-cache$cache"; fi
    start_fundq "$name" "$cache"
done
echo "fundq: $FUNDQ ($("$FUNDQ" --version))"
echo "PostgreSQL on 127.0.0.1:$PG_PORT ($("$PG_BIN/postgres" --version))"
echo "$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); clients: $CLIENTS;" \
     "$ROUNDS rounds x $ROUND_SECONDS s per server; $LOAD_PROCESSES load processes"

# --- 5..7. check, load, report -----------------------------------------------------------------
status=0
run_python run "${FUNDQ_SERVERS[@]}" --postgres "127.0.0.1:$PG_PORT" \
    --clients "$CLIENTS" --rounds "$ROUNDS" --seconds "$ROUND_SECONDS" \
    --processes "$LOAD_PROCESSES" || status=$?
for pid in "${FUNDQ_PIDS[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "a fundq serve exited during the run; its log:" >&2
        tail -20 "$WORK"/fundq*.log >&2
        status=1
    fi
done
exit "$status"
