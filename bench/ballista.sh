#!/usr/bin/env bash
# The local engine against `--engine ballista-standalone` (a Ballista scheduler and executor in
# the fundq process) on the same binary, data and queries (bench/scale_queries/), in the same
# run: each query's sorted CSV rows are compared first, then both engines are timed, interleaved
# (WARMUP warm-up and RUNS timed runs each, one `fundq sql` process per run, start-up included),
# and the medians and their ratio (ballista / local) are printed.
#
#   bench/ballista.sh                                   # the 100 M-row set
#   DATA=/tmp/fundq-scale/10M-p234000-r96-y2021-2023-s1 RUNS=3 bench/ballista.sh
#
# Environment:
#   FUNDQ_BIN  a release fundq built with `--features ballista` (default
#              $CARGO_TARGET_DIR/release/fundq, else target/release/fundq)
#   DATA       a data folder made by `fundq gen` (default the 100 M-row set of bench/scale.sh)
#   QUERIES    query files (default bench/scale_queries/*.sql; `{{region}}` becomes a county)
#   RUNS, WARMUP  timed and warm-up runs per engine and query (default 3 and 1)
#   TIMEOUT    seconds one run may take before the query counts as failed (default 1800)
#
# Exit status: 0 all results matched, 1 some query differed or failed, 2 setup error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
die() { echo "ballista.sh: $*" >&2; exit 2; }
unset FUNDQ_DATA FUNDQ_SQL FUNDQ_ENGINE FUNDQ_MEMORY_LIMIT_MB

if [[ -z "${FUNDQ_BIN:-}" ]]; then
    FUNDQ_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/fundq"
fi
[[ -x "$FUNDQ_BIN" ]] || die "no fundq binary at $FUNDQ_BIN; cargo build --release --features ballista"
DATA="${DATA:-/tmp/fundq-scale/100M-p2340000-r2976-y2021-2023-s1}"
[[ -d "$DATA/detail" ]] || die "$DATA is not a generated data folder; see bench/scale.sh"
"$FUNDQ_BIN" --data "$DATA" --engine ballista-standalone sql "SELECT 1" >/dev/null \
    || die "$FUNDQ_BIN cannot run --engine ballista-standalone (built without --features ballista?)"

export FUNDQ_BIN DATA SQL_DIR="$ROOT/sql" RUNS="${RUNS:-3}" WARMUP="${WARMUP:-1}" TIMEOUT="${TIMEOUT:-1800}"
export QUERIES="${QUERIES:-$(ls "$ROOT"/bench/scale_queries/*.sql | tr '\n' ' ')}"
exec python3 - <<'PY'
import os, statistics, subprocess, sys, time

BIN, DATA, SQL_DIR = os.environ["FUNDQ_BIN"], os.environ["DATA"], os.environ["SQL_DIR"]
RUNS, WARMUP = int(os.environ["RUNS"]), int(os.environ["WARMUP"])
TIMEOUT = float(os.environ["TIMEOUT"])
ENGINES = ("local", "ballista-standalone")


def fundq(engine, sql):
    """Runs one statement as a user would; returns (wall ms, stdout)."""
    cmd = [BIN, "--data", DATA, "--sql", SQL_DIR, "--engine", engine,
           "sql", "--format", "csv", "--", sql]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{engine}: no result within {TIMEOUT:.0f} s")
    ms = (time.perf_counter() - t0) * 1000.0
    if p.returncode != 0:
        raise RuntimeError(f"{engine}: exit {p.returncode}: {p.stderr.strip()[-1000:]}")
    return ms, p.stdout


def county():
    _, out = fundq("local", "SELECT MIN(region_code) FROM region WHERE level = 'county'")
    return out.splitlines()[1].strip()


region = county()
print(f"data {DATA}; binary {BIN}; {RUNS} timed run(s) after {WARMUP} warm-up, medians")
print(f"{'query':<34} {'local ms':>10} {'ballista ms':>12} {'ratio':>7}")
failed = 0
for path in os.environ["QUERIES"].split():
    name = os.path.basename(path)[:-4]
    sql = open(path).read().replace("{{region}}", region)
    try:
        results = {e: sorted(fundq(e, sql)[1].splitlines()) for e in ENGINES}
        if results["local"] != results["ballista-standalone"]:
            raise RuntimeError("rows differ between the engines")
        times = {e: [] for e in ENGINES}
        for run in range(WARMUP + RUNS):
            for engine in ENGINES:
                ms, _ = fundq(engine, sql)
                if run >= WARMUP:
                    times[engine].append(ms)
    except RuntimeError as e:
        failed += 1
        print(f"{name:<34} FAILED: {e}")
        continue
    local, cluster = (statistics.median(times[e]) for e in ENGINES)
    print(f"{name:<34} {local:>10.0f} {cluster:>12.0f} {cluster / local:>6.2f}x")
    sys.stdout.flush()
sys.exit(1 if failed else 0)
PY
