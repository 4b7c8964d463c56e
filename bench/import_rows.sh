#!/usr/bin/env bash
# Import throughput and peak memory: generates a ledger CSV of N rows (default 10 million) and
# times `fundq import` into a fresh copy of the sample data, with GNU time's maximum resident set.
# A peer in the same run: DuckDB reading the same CSV into a table (read_csv, typed columns), so
# the numbers can be compared on a noisy machine.
#
#   bench/import_rows.sh            # 10,000,000 rows
#   ROWS=1000000 bench/import_rows.sh
#
# Needs a release build of fundq ($FUNDQ_BIN, else $CARGO_TARGET_DIR/release/fundq, else
# target/release/fundq) and bench/.venv with duckdb-cli (bench/cold_run.sh creates it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROWS="${ROWS:-10000000}"
FUNDQ="${FUNDQ_BIN:-${CARGO_TARGET_DIR:-target}/release/fundq}"
[[ -x "$FUNDQ" ]] || { echo "no fundq binary at $FUNDQ; cargo build --release" >&2; exit 2; }
DUCKDB="$ROOT/bench/.venv/lib/python3.11/site-packages/duckdb_cli/duckdb"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r data sql "$WORK/"

# Rows for years 3000+ of region 640121: every (year, item) of the work-injury fund, both
# scenarios, amounts with two decimals in 元. Years beyond the sample keep keys unique; the
# year rule is widened for the benchmark copy only.
python3 - "$ROWS" "$WORK/ledger_big.csv" <<'PY'
import sys
rows, path = int(sys.argv[1]), sys.argv[2]
items = ["contribution", "interest", "fiscal_subsidy", "benefit", "prevention", "remit_to_higher", "other_expense"]
with open(path, "w") as f:
    f.write("region_code,year,fund_code,item_code,scenario,amount,unit\n")
    n = 0
    year = 3000
    while n < rows:
        for item in items:
            for scenario in ("budget", "actual"):
                if n == rows:
                    break
                f.write(f"640121,{year},work_injury,{item},{scenario},{(n * 7919) % 100000000 / 100:.2f},元\n")
                n += 1
        year += 1
PY
rm -f "$WORK"/sql/import/ledger/year_in_range.sql
SIZE=$(du -m "$WORK/ledger_big.csv" | cut -f1)
echo "rows: $ROWS ($SIZE MB CSV)"

run() { # label, command...
    local label="$1"; shift
    /usr/bin/time -f "%e %M" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    local secs kb
    secs=$(tail -1 "$WORK/err" | awk '{print $1}')
    kb=$(tail -1 "$WORK/err" | awk '{print $2}')
    printf "%-8s %8.1f s %10.0f rows/s %8.0f MB peak RSS\n" "$label" "$secs" "$(echo "$ROWS / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
    echo "$secs"  > "$WORK/$label.secs"
}
run fundq "$FUNDQ" --data "$WORK/data" --sql "$WORK/sql" import "$WORK/ledger_big.csv" --table ledger
if [[ -x "$DUCKDB" ]]; then
    run duckdb "$DUCKDB" -no-init "$WORK/duck.db" -c "CREATE TABLE ledger AS SELECT region_code::VARCHAR AS region_code, year::INT AS year, fund_code, item_code, scenario, amount::DECIMAL(18,2) AS amount_yuan FROM read_csv('$WORK/ledger_big.csv', header = true, all_varchar = true)"
    echo "ratio fundq/duckdb: $(echo "$(cat "$WORK/fundq.secs") / $(cat "$WORK/duckdb.secs")" | bc -l | cut -c1-5)"
fi
COUNT=$("$FUNDQ" --data "$WORK/data" --sql "$WORK/sql" sql "SELECT count(*) FROM ledger WHERE year >= 3000" --format csv | tail -1)
[[ "$COUNT" == "$ROWS" ]] || { echo "expected $ROWS imported rows, found $COUNT" >&2; exit 1; }
echo "verified: $COUNT rows stored"
