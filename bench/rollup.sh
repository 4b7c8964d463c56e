#!/usr/bin/env bash
# Roll-ups over the region tree at national scale: 2976 counties (31 provinces of 12 cities of 8,
# the most `fundq gen` makes) × 3 years. The generated detail is first summed to a plain-Parquet
# county ledger (so the timings are of the roll-ups, not of reading detail), then fundq runs
# fund_balance_rollup, budget_execution_rollup, region_rank and fund_warning, and DuckDB (Python
# duckdb 2.0, the peer of bench/scale.sh) runs the same fund-balance roll-up over the same files,
# in the same run. fundq is timed as the CLI (process start, catalog, query, CSV to /dev/null);
# DuckDB in-process, rows fetched to Python (connect and views excluded), which favours DuckDB. Medians of RUNS runs after
# one warm-up. Prints one line per query with the ratio fundq / DuckDB where DuckDB has the query.
#
#   bench/rollup.sh
#
# Environment: FUNDQ_BIN (default $CARGO_TARGET_DIR/release/fundq, else target/release/fundq),
# GEN_BIN (the fundq that generates the data, default FUNDQ_BIN), ROLLUP_DIR (default
# /tmp/fundq-rollup; kept between runs), PERSONS (default 60000), RUNS (default 5),
# VENV (default $HOME/.cache/fundq-venv, else bench/.venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
unset FUNDQ_DATA FUNDQ_SQL
die() { echo "rollup.sh: $*" >&2; exit 2; }

if [[ -z "${FUNDQ_BIN:-}" ]]; then
    if [[ -n "${CARGO_TARGET_DIR:-}" && -x "$CARGO_TARGET_DIR/release/fundq" ]]; then
        FUNDQ_BIN="$CARGO_TARGET_DIR/release/fundq"
    else
        FUNDQ_BIN="$ROOT/target/release/fundq"
    fi
fi
[[ -x "$FUNDQ_BIN" ]] || die "no fundq binary at $FUNDQ_BIN; set FUNDQ_BIN"
GEN_BIN="${GEN_BIN:-$FUNDQ_BIN}"
ROLLUP_DIR="${ROLLUP_DIR:-/tmp/fundq-rollup}"
PERSONS="${PERSONS:-60000}"
RUNS="${RUNS:-5}"
if [[ -z "${VENV:-}" ]]; then
    if [[ -x "$HOME/.cache/fundq-venv/bin/python" ]]; then VENV="$HOME/.cache/fundq-venv"; else VENV="$ROOT/bench/.venv"; fi
fi
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV" || die "python3 -m venv failed"
PY="$VENV/bin/python"
"$PY" -c 'import duckdb' 2>/dev/null \
    || "$PY" -m pip install --quiet --disable-pip-version-check "duckdb==2.0.*" \
    || die "pip install duckdb failed"

gen="$ROLLUP_DIR/gen-p$PERSONS"
data="$ROLLUP_DIR/ledger-p$PERSONS"
if [[ ! -d "$data" ]]; then
    mkdir -p "$ROLLUP_DIR"
    [[ -d "$gen" ]] || "$GEN_BIN" --data "$ROOT/data" --sql "$ROOT/sql" gen --persons "$PERSONS" \
        --regions 2976 --years 2021..2023 --seed 1 --out "$gen" >&2 || die "fundq gen failed"
    rm -rf "$data.tmp"; mkdir -p "$data.tmp/ledger"
    for table in region fund item headcount; do cp -r "$gen/$table" "$data.tmp/$table"; done
    "$FUNDQ_BIN" --data "$gen" --sql "$ROOT/sql" sql \
        "SELECT l.* FROM ledger l JOIN region r ON r.region_code = l.region_code WHERE r.level = 'county'" \
        --format parquet --output "$data.tmp/ledger/part-0.parquet" || die "county ledger failed"
    mv "$data.tmp" "$data"
fi

export FUNDQ_BIN DATA="$data" SQL_DIR="$ROOT/sql" RUNS
"$PY" - <<'PY'
import os, statistics, subprocess, time
import duckdb

fundq, data, sql_dir, runs = os.environ["FUNDQ_BIN"], os.environ["DATA"], os.environ["SQL_DIR"], int(os.environ["RUNS"])

def fundq_run(query):
    start = time.perf_counter()
    subprocess.run([fundq, "--data", data, "--sql", sql_dir, "sql", query, "--format", "csv"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start

con = duckdb.connect()
con.execute("SET threads = 2")
for table in ["ledger", "region", "item", "headcount"]:
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{data}/{table}/*.parquet')")
# fund_balance_rollup's sums, months covered and dependency ratio, over the fixed depth of the
# generated tree (county, city, province); generated items are all top-level, so no derivation.
DUCK_FUND_BALANCE = """
WITH leaf AS (
    SELECT region_code AS region, region_code AS leaf FROM region WHERE level = 'county'
    UNION ALL SELECT parent_code, region_code FROM region WHERE level = 'county'
    UNION ALL SELECT c.parent_code, r.region_code FROM region r JOIN region c ON c.region_code = r.parent_code
    WHERE r.level = 'county'),
top AS (SELECT l.*, i.direction, i.memo FROM ledger l JOIN item i USING (fund_code, item_code)
        WHERE l.scenario = 'actual' AND i.parent_code IS NULL),
s AS (SELECT leaf.region, year, fund_code,
             SUM(amount_yuan) FILTER (direction = 'income' AND NOT memo) AS income,
             SUM(amount_yuan) FILTER (direction = 'expense' AND NOT memo) AS expense,
             SUM(amount_yuan) FILTER (item_code = 'closing_balance') AS closing
      FROM top JOIN leaf ON leaf.leaf = top.region_code GROUP BY ALL),
c AS (SELECT leaf.region, year, fund_code,
             SUM(persons) FILTER (measure = 'active') AS active,
             SUM(persons) FILTER (measure = 'retired') AS retired
      FROM headcount h JOIN leaf ON leaf.leaf = h.region_code
      WHERE breakdown = 'total' AND member = 'all' AND scenario = 'actual' GROUP BY ALL)
SELECT s.region, s.year, s.fund_code, CAST(income / 10000 AS DECIMAL(18, 2)) AS income_wan,
       CAST(closing * 12 / NULLIF(expense, 0) AS DECIMAL(12, 2)) AS months_covered,
       CAST(CAST(active AS DECIMAL(20, 0)) / NULLIF(retired, 0) AS DECIMAL(12, 2)) AS dependency_ratio
FROM s LEFT JOIN c USING (region, year, fund_code)"""

def duck_run(query):
    start = time.perf_counter()
    con.execute(query).fetchall()
    return time.perf_counter() - start

# Same answer first: rows and the sum of income over every region.
check = "SELECT COUNT(*), SUM(income_wan) FROM ({})"
ours = subprocess.run([fundq, "--data", data, "--sql", sql_dir, "sql", check.format("SELECT * FROM fund_balance_rollup"),
                       "--format", "csv"], check=True, capture_output=True, text=True).stdout.splitlines()[1]
theirs = con.execute(check.format(DUCK_FUND_BALANCE)).fetchone()
print(f"fund_balance_rollup rows, income sum: fundq {ours}; DuckDB {theirs[0]},{theirs[1]}")

queries = [
    ("fund_balance_rollup", "SELECT * FROM fund_balance_rollup", DUCK_FUND_BALANCE),
    ("budget_execution_rollup", "SELECT * FROM budget_execution_rollup", None),
    ("region_rank", "SELECT * FROM region_rank", None),
    ("fund_warning", "SELECT * FROM fund_warning", None),
]
print(f"{'query':<26}{'fundq s':>10}{'DuckDB s':>10}{'ratio':>8}")
for name, ours_sql, duck_sql in queries:
    fundq_run(ours_sql)
    ours_t = statistics.median(fundq_run(ours_sql) for _ in range(runs))
    if duck_sql:
        duck_run(duck_sql)
        duck_t = statistics.median(duck_run(duck_sql) for _ in range(runs))
        print(f"{name:<26}{ours_t:>10.3f}{duck_t:>10.3f}{ours_t / duck_t:>8.1f}")
    else:
        print(f"{name:<26}{ours_t:>10.3f}{'':>10}{'':>8}")
start = time.perf_counter()
subprocess.run([fundq, "--data", data, "--sql", sql_dir, "sql", "SELECT 1", "--format", "csv"], check=True, stdout=subprocess.DEVNULL)
print(f"(fundq process start, catalog and SELECT 1: {time.perf_counter() - start:.3f} s)")
PY
