#!/usr/bin/env bash
# Province and national scale: generates detail data of about 10 M and 100 M rows with `fundq gen`
# and runs the queries of bench/scale_queries/ on each with fundq, DuckDB (Python duckdb 2.0) and
# Polars 2.1 over the same Parquet files, in the same run (bench/scale.py). Each query's results
# are compared row by row first (sums and counts to the cent); only matching engines are timed:
# 1 warm-up + 5 hot runs each, interleaved, medians. Prints one table per data set, also saved
# under bench/out/scale/<data set>/ with fundq's EXPLAIN ANALYZE of every query.
#
#   bench/scale.sh                    # 10 M, then 100 M rows
#   SIZES=10M bench/scale.sh          # only 10 M
#
# Environment:
#   FUNDQ_BIN        fundq binary (default $CARGO_TARGET_DIR/release/fundq, else
#                    target/release/fundq). Use a release build: debug numbers mean nothing.
#   SCALE_DIR        where the data sets live (default /tmp/fundq-scale); a data set is generated
#                    only when its folder is missing (the folder name holds every gen option)
#   SIZES            data sets to run, of 1M 10M 100M (default "10M 100M"); 1M is for trying the
#                    script. 1 B rows is not offered (see "Sizes" below).
#   RUNS, WARMUP     timed and warm-up runs per engine and query (default 5 and 1)
#   THREADS          threads for DuckDB and Polars, and cores fundq is pinned to when the machine
#                    has more (default 2)
#   MEMORY_LIMIT_MB  the limit of the person-level query (default 2048)
#   PLANS            1 (default) writes fundq's EXPLAIN ANALYZE of every query; 0 skips it
#   VENV             Python with duckdb 2.0 and polars 2.1 (default $HOME/.cache/fundq-venv when it
#                    exists, else bench/.venv); the two are installed into it when missing
#
# Sizes. Three years (2021..2023, so year-over-year queries have two pairs), seed 1. `fundq gen`
# writes about 14.3 detail rows per person and year, so --persons is chosen to land near the
# target; the actual count is printed. 10 M is a province (96 counties: 12 cities of 8), 100 M
# the whole country (2976 counties: 31 provinces). The script keeps the data between runs.
# Generated detail compresses to about 1.25 bytes a row (a person's amount repeats month after
# month), so 100 M rows are 125 MB, written in 35 s; disk space would not stop 1 B rows
# (about 1.3 GB). Run time would: the person-level query takes 25-60 s per engine and run at
# 100 M rows, so 1 B rows means hours on 2 cores.
#
# Exit status: 0 all results matched, 1 some query FAILED (results differ or an engine failed),
# 2 setup error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCALE_DIR="${SCALE_DIR:-/tmp/fundq-scale}"
SIZES="${SIZES:-10M 100M}"
YEARS="2021..2023"
SEED=1

die() { echo "scale.sh: $*" >&2; exit 2; }

# The queries name their years (2022, 2023) and fundq must read exactly the folders given here.
unset FUNDQ_DATA FUNDQ_SQL FUNDQ_MEMORY_LIMIT_MB

# --- 1. fundq ----------------------------------------------------------------------------------
if [[ -z "${FUNDQ_BIN:-}" ]]; then
    if [[ -n "${CARGO_TARGET_DIR:-}" && -x "$CARGO_TARGET_DIR/release/fundq" ]]; then
        FUNDQ_BIN="$CARGO_TARGET_DIR/release/fundq"
    else
        FUNDQ_BIN="$ROOT/target/release/fundq"
    fi
fi
[[ -x "$FUNDQ_BIN" ]] || die "no fundq binary at $FUNDQ_BIN; cargo build --release, or set FUNDQ_BIN"
FUNDQ_BIN="$(cd "$(dirname "$FUNDQ_BIN")" && pwd)/$(basename "$FUNDQ_BIN")"
[[ "$FUNDQ_BIN" == */debug/* ]] && echo "scale.sh: WARNING: $FUNDQ_BIN is a debug build; its times mean nothing" >&2
"$FUNDQ_BIN" gen --help >/dev/null 2>&1 || die "$FUNDQ_BIN has no gen command"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed for peak memory; apt-get install time"

# --- 2. DuckDB and Polars ------------------------------------------------------------------------
if [[ -z "${VENV:-}" ]]; then
    if [[ -x "$HOME/.cache/fundq-venv/bin/python" ]]; then
        VENV="$HOME/.cache/fundq-venv"
    else
        VENV="$ROOT/bench/.venv"
    fi
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV" >&2
    python3 -m venv "$VENV" || die "python3 -m venv failed"
fi
PY="$VENV/bin/python"
version() { "$PY" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p' || true; }
duckdb_version="$(version duckdb)"
polars_version="$(version polars)"
# pyarrow: DuckDB's timed runs fetch into an Arrow table (see bench/scale.py).
if [[ "$duckdb_version" != 2.0.* || "$polars_version" != 2.1.* || -z "$(version pyarrow)" ]]; then
    echo "installing duckdb 2.0, polars 2.1 and pyarrow into $VENV (found duckdb" \
         "'$duckdb_version', polars '$polars_version')" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check "duckdb==2.0.*" "polars==2.1.*" \
        pyarrow || die "pip install duckdb polars pyarrow failed"
fi

# --- 3. the data sets ----------------------------------------------------------------------------
# size -> "persons counties"
declare -A SHAPE=(
    [1M]="23400 30"
    [10M]="234000 96"
    [100M]="2340000 2976"
)
DATASETS=()
for size in $SIZES; do
    [[ -n "${SHAPE[$size]:-}" ]] || die "unknown size $size (known: ${!SHAPE[*]})"
    read -r persons counties <<<"${SHAPE[$size]}"
    dir="$SCALE_DIR/$size-p$persons-r$counties-y${YEARS/../-}-s$SEED"
    if [[ ! -d "$dir" ]]; then
        echo "generating $dir" >&2
        mkdir -p "$SCALE_DIR"
        start=$(date +%s)
        "$FUNDQ_BIN" --data "$ROOT/data" --sql "$ROOT/sql" gen --persons "$persons" \
            --regions "$counties" --years "$YEARS" --seed "$SEED" --out "$dir" >&2 \
            || die "fundq gen failed"
        echo "generated in $(( $(date +%s) - start )) s" >&2
    fi
    DATASETS+=("$dir")
done

# --- 4. the benchmark ----------------------------------------------------------------------------
export FUNDQ_BIN SQL_DIR="$ROOT/sql" QUERIES="$ROOT/bench/scale_queries" OUT="$ROOT/bench/out/scale"
export RUNS="${RUNS:-5}" WARMUP="${WARMUP:-1}" THREADS="${THREADS:-2}"
export MEMORY_LIMIT_MB="${MEMORY_LIMIT_MB:-2048}" PLANS="${PLANS:-1}"
status=0
for dir in "${DATASETS[@]}"; do
    echo
    echo "=== $(basename "$dir") ==="
    "$PY" "$ROOT/bench/scale.py" "$dir" || status=$?
    [[ $status -le 1 ]] || exit "$status"
done
exit "$status"
