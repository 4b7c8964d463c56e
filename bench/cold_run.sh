#!/usr/bin/env bash
# Cold run of `fundq run budget_execution` against DuckDB's CLI running the equivalent SQL
# (bench/budget_execution.duckdb.sql) over the same Parquet files, measured side by side.
#
#   bench/cold_run.sh                 # from anywhere; it works in the repository root
#
# Goal: the median wall time of fundq is at most half of DuckDB's (ratio fundq/duckdb <= 0.5).
#
# What it does:
#   1. makes bench/.venv and pip-installs the PyPI package duckdb-cli there if it is missing;
#   2. finds fundq: $FUNDQ_BIN, else the dist build (the shipped binary), else the release build,
#      each under $CARGO_TARGET_DIR or target/, else builds it with `cargo build --profile dist`;
#   3. checks that data/{ledger,item,fund} are single-version Delta tables whose Parquet files are
#      exactly their current rows (so DuckDB can read the Parquet files directly);
#   4. runs both once and aborts unless they print the same rows (see verify below);
#   5. times N cold runs of each (a fresh process every time, stdout to /dev/null), interleaved
#      (fundq, duckdb, duckdb, fundq, …, so drift on a noisy machine hits both alike), after W
#      discarded warm-up runs of each that put the binaries and data in the OS page cache;
#   6. prints median, p90, min and mean wall ms per engine, the ratio of medians, and PASS/FAIL.
#
# Environment:
#   FUNDQ_BIN          fundq binary to time (default: see 2.)
#   DUCKDB_BIN         DuckDB binary to time (default: the native executable inside the
#                      duckdb-cli package, see below)
#   DUCKDB_CLI_VERSION duckdb-cli version to install (default 1.5.6)
#   N                  timed runs per engine (default 30)
#   WARMUP             discarded runs per engine before timing (default 2)
#   GOAL_RATIO         pass threshold for median(fundq) / median(duckdb) (default 0.5)
#   BENCH_HYPERFINE    1 (default when hyperfine is installed) also runs hyperfine as a
#                      cross-check; 0 skips it. hyperfine runs all runs of one command before
#                      the other, i.e. NOT interleaved, so its numbers are informational only.
#
# Exit status: 0 PASS, 1 FAIL (ratio above the goal), 2 setup error or results differ.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

N="${N:-30}"
WARMUP="${WARMUP:-2}"
GOAL_RATIO="${GOAL_RATIO:-0.5}"
DUCKDB_CLI_VERSION="${DUCKDB_CLI_VERSION:-1.5.6}"
VENV="$ROOT/bench/.venv"
DUCKDB_SQL="bench/budget_execution.duckdb.sql"

die() { echo "cold_run.sh: $*" >&2; exit 2; }

# fundq must read ./data and ./sql, whatever the caller's environment says.
unset FUNDQ_DATA FUNDQ_SQL

# --- 1. DuckDB CLI from PyPI -------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV" >&2
    python3 -m venv "$VENV" || die "python3 -m venv failed"
fi
PY="$VENV/bin/python"
installed="$("$PY" -m pip show duckdb-cli 2>/dev/null | sed -n 's/^Version: //p' || true)"
if [[ "$installed" != "$DUCKDB_CLI_VERSION" ]]; then
    echo "installing duckdb-cli==$DUCKDB_CLI_VERSION into $VENV" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check "duckdb-cli==$DUCKDB_CLI_VERSION" \
        || die "pip install duckdb-cli failed"
fi
# duckdb-cli installs two things: the real DuckDB executable, duckdb_cli/duckdb inside
# site-packages, and a pip console script bench/.venv/bin/duckdb, which is a Python program that
# starts the executable through subprocess. Timing the console script would add a Python
# interpreter start-up (tens of ms) to DuckDB's time and flatter fundq, so the native executable
# is what is timed.
if [[ -z "${DUCKDB_BIN:-}" ]]; then
    DUCKDB_BIN="$("$PY" -c 'import os, duckdb_cli; print(os.path.join(os.path.dirname(duckdb_cli.__file__), "duckdb"))')"
fi
[[ -x "$DUCKDB_BIN" ]] || die "DuckDB executable not found: $DUCKDB_BIN"

# --- 2. fundq ----------------------------------------------------------------------------------
if [[ -z "${FUNDQ_BIN:-}" ]]; then
    target="${CARGO_TARGET_DIR:-$ROOT/target}"
    for profile in dist release; do
        if [[ -x "$target/$profile/fundq" ]]; then FUNDQ_BIN="$target/$profile/fundq"; break; fi
    done
    if [[ -z "${FUNDQ_BIN:-}" ]]; then
        echo "no optimised fundq binary found; running cargo build --profile dist" >&2
        cargo build --profile dist >&2 || die "cargo build --profile dist failed"
        FUNDQ_BIN="$target/dist/fundq"
    fi
fi
[[ -x "$FUNDQ_BIN" ]] || die "fundq binary not found or not executable: $FUNDQ_BIN"
FUNDQ_BIN="$(cd "$(dirname "$FUNDQ_BIN")" && pwd)/$(basename "$FUNDQ_BIN")"

FUNDQ_CMD=("$FUNDQ_BIN" run budget_execution --format csv)
# -no-init: ignore any ~/.duckdbrc; -nullvalue '': print NULL as an empty field, as fundq does.
DUCKDB_CMD=("$DUCKDB_BIN" -no-init -csv -nullvalue '' -c ".read $DUCKDB_SQL")

# --- 3..6: checks, verification and timing (Python, so the timer and statistics are exact) ----
export ROOT N WARMUP GOAL_RATIO FUNDQ_BIN DUCKDB_BIN DUCKDB_SQL
export BENCH_HYPERFINE="${BENCH_HYPERFINE:-$(command -v hyperfine >/dev/null && echo 1 || echo 0)}"
exec "$PY" - "${#FUNDQ_CMD[@]}" "${FUNDQ_CMD[@]}" "${DUCKDB_CMD[@]}" <<'PY'
import csv, io, json, os, platform, shlex, shutil, statistics, subprocess, sys, tempfile, time

root = os.environ["ROOT"]
n, warmup = int(os.environ["N"]), int(os.environ["WARMUP"])
goal = float(os.environ["GOAL_RATIO"])
k = int(sys.argv[1])
fundq_cmd, duckdb_cmd = sys.argv[2:2 + k], sys.argv[2 + k:]
engines = {"fundq": fundq_cmd, "duckdb": duckdb_cmd}


def die(msg):
    print(f"cold_run.sh: {msg}", file=sys.stderr)
    sys.exit(2)


# --- 3. the Delta tables are single-version, so their Parquet files are their current rows ------
for table in ("ledger", "item", "fund"):
    d = os.path.join(root, "data", table)
    log = os.path.join(d, "_delta_log")
    entries = sorted(os.listdir(log))
    if entries != ["00000000000000000000.json"]:
        die(f"data/{table}: expected exactly one Delta version (00000000000000000000.json) and "
            f"no checkpoints, found {entries}; update {os.environ['DUCKDB_SQL']} to read the "
            f"table's current files")
    adds = set()
    with open(os.path.join(log, entries[0]), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            action = json.loads(line)
            if "remove" in action:
                die(f"data/{table}: version 0 removes files")
            if "metaData" in action and action["metaData"].get("partitionColumns"):
                die(f"data/{table}: partitioned; reading the Parquet files directly would lose "
                    f"the partition columns")
            if "add" in action:
                if action["add"].get("deletionVector"):
                    die(f"data/{table}: has deletion vectors")
                adds.add(action["add"]["path"])
    files = {x for x in os.listdir(d) if x.endswith(".parquet")}
    if adds != files:
        die(f"data/{table}: Parquet files {sorted(files)} differ from the files the Delta log "
            f"adds {sorted(adds)}")


# --- 4. verify: both engines give the same result -------------------------------------------
def run_once(name):
    p = subprocess.run(engines[name], cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        die(f"{name} failed (exit {p.returncode}): {shlex.join(engines[name])}\n"
            + p.stderr.decode(errors="replace"))
    return p.stdout.decode("utf-8")


# Both write RFC 4180 CSV with a header row, but not byte for byte alike: DuckDB quotes every
# field with non-ASCII text ("工伤保险"), fundq (arrow-csv) quotes only where CSV needs it. So
# both are parsed with the csv module, which removes the quoting, and the parsed fields are
# compared as text with no other normalization: decimals must have the same digits and scale
# (both print DECIMAL(p,2) as e.g. 1234.50, -0.36, 0.00), booleans the same spelling (both print
# true/false), NULL the same (both print an empty field: fundq by default, DuckDB because of
# -nullvalue ''). An empty field therefore means NULL or the empty string in either output; no
# text column of this view can be the empty string. Rows are compared as sorted multisets; the
# order is also checked, but only reported, because rows that tie on the ORDER BY keys may
# legitimately come out in either order.
def parse(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        die("empty output")
    return rows[0], rows[1:]


fq_text, dd_text = run_once("fundq"), run_once("duckdb")
fq_head, fq_rows = parse(fq_text)
dd_head, dd_rows = parse(dd_text)
if fq_head != dd_head:
    die(f"column names differ:\n  fundq  {fq_head}\n  duckdb {dd_head}")
if sorted(fq_rows) != sorted(dd_rows):
    out = tempfile.mkdtemp(prefix="cold_run.")
    for name, text in (("fundq.csv", fq_text), ("duckdb.csv", dd_text)):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)
    only_fq = [r for r in fq_rows if r not in dd_rows][:5]
    only_dd = [r for r in dd_rows if r not in fq_rows][:5]
    die(f"results differ ({len(fq_rows)} rows from fundq, {len(dd_rows)} from duckdb); both "
        f"outputs are in {out}\n  only fundq:  {only_fq}\n  only duckdb: {only_dd}")
same_order = fq_rows == dd_rows
print(f"verified: fundq and duckdb return the same {len(fq_rows)} rows x {len(fq_head)} columns"
      f" ({'same order' if same_order else 'SAME ROWS BUT IN A DIFFERENT ORDER'})")


# --- 5. interleaved cold runs ----------------------------------------------------------------
def timed(name):
    t0 = time.perf_counter()
    p = subprocess.run(engines[name], cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    t = (time.perf_counter() - t0) * 1000.0
    if p.returncode != 0:
        die(f"{name} failed (exit {p.returncode}) during timing\n" + p.stderr.decode(errors="replace"))
    return t


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


duckdb_version = subprocess.run([duckdb_cmd[0], "-version"], capture_output=True, text=True).stdout.strip()
print(f"machine:  {os.cpu_count()} CPUs, {cpu_model()}, load average {os.getloadavg()[0]:.2f} at start")
print(f"fundq:    {shlex.join(fundq_cmd)}")
print(f"duckdb:   {shlex.join(duckdb_cmd)}  ({duckdb_version})")
print(f"runs:     {warmup} warm-up + {n} timed per engine, interleaved, stdout to /dev/null")

for _ in range(warmup):
    timed("fundq"); timed("duckdb")
times = {"fundq": [], "duckdb": []}
pair_ratios = []
for i in range(n):
    order = ("fundq", "duckdb") if i % 2 == 0 else ("duckdb", "fundq")  # ABBA: no engine always first
    got = {name: timed(name) for name in order}
    for name in order:
        times[name].append(got[name])
    pair_ratios.append(got["fundq"] / got["duckdb"])


# --- 6. report -------------------------------------------------------------------------------
def p90(xs):
    # linear interpolation between closest ranks (the common "inclusive" definition)
    return statistics.quantiles(xs, n=10, method="inclusive")[8] if len(xs) > 1 else xs[0]


print()
print(f"{'engine':<8} {'median ms':>10} {'p90 ms':>10} {'min ms':>10} {'mean ms':>10}")
for name, xs in times.items():
    print(f"{name:<8} {statistics.median(xs):>10.1f} {p90(xs):>10.1f} {min(xs):>10.1f} "
          f"{statistics.fmean(xs):>10.1f}")
ratio = statistics.median(times["fundq"]) / statistics.median(times["duckdb"])
print()
print(f"ratio fundq/duckdb (median/median): {ratio:.3f}   "
      f"(p90/p90 {p90(times['fundq']) / p90(times['duckdb']):.3f}, "
      f"median of per-round ratios {statistics.median(pair_ratios):.3f})")

if os.environ.get("BENCH_HYPERFINE") == "1" and shutil.which("hyperfine"):
    with tempfile.NamedTemporaryFile(suffix=".json") as js:
        hf = subprocess.run(
            ["hyperfine", "--style", "none", "-N", "--warmup", str(warmup), "--runs", str(n),
             "--export-json", js.name, "-n", "fundq", shlex.join(fundq_cmd),
             "-n", "duckdb", shlex.join(duckdb_cmd)],
            cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if hf.returncode == 0:
            res = {r["command"]: r for r in json.load(open(js.name))["results"]}
            med = {k: statistics.median(v["times"]) * 1000 for k, v in res.items()}
            print(f"hyperfine cross-check (not interleaved): fundq median {med['fundq']:.1f} ms, "
                  f"duckdb median {med['duckdb']:.1f} ms, ratio {med['fundq'] / med['duckdb']:.3f}")
        else:
            print("hyperfine cross-check failed:\n" + hf.stderr.decode(errors="replace"))

verdict = "PASS" if ratio <= goal else "FAIL"
print(f"{verdict}: goal is median(fundq) <= {goal} x median(duckdb); measured {ratio:.3f}")
sys.exit(0 if verdict == "PASS" else 1)
PY
