#!/usr/bin/env python3
"""Province and national scale: the queries of bench/scale_queries/ on one generated data folder,
run by fundq, DuckDB and Polars over the same Parquet files in the same run.

    python bench/scale.py DATA_DIR          # bench/scale.sh sets the environment and calls this

Every query is one SQL text that all three engines run unchanged (the runner only strips the
leading `--` comment lines and fills in {{region}}). fundq runs it as `fundq sql` (a new process
each time, timed from outside: wall time including its start-up); DuckDB and Polars run it in
this process (timed around execute-and-fetch, no start-up) over views / lazy frames on the
Parquet files. First each engine runs it once (the warm-up; the files are then in the page
cache) and the results are compared row by row; an engine whose result differs from DuckDB's is
marked FAILED and not timed. Then RUNS timed runs per engine, interleaved and in rotating order,
so a change in the machine's load hits all engines alike; the table shows medians.

Directives in a query's leading comments:
    -- bench: scan PREDICATE   a scan-and-aggregate query: report fundq's detail rows per second,
                               counting the detail rows that satisfy PREDICATE (the rows it reads)
    -- bench: drill_down       report whether each engine answers in under 100 ms, and the share
                               of the detail rows fundq decodes (from EXPLAIN ANALYZE)
    -- bench: memory_limit     run under MEMORY_LIMIT_MB in every engine (fundq --memory-limit-mb,
                               DuckDB memory_limit; Polars always runs its streaming engine, which
                               has no limit to set), and report peak RSS and fundq's spill from
                               separate runs

Environment (bench/scale.sh sets it): FUNDQ_BIN, SQL_DIR, QUERIES, OUT, RUNS (5), WARMUP (1),
THREADS (2), MEMORY_LIMIT_MB (2048), PLANS (1: write fundq's EXPLAIN ANALYZE of every query to
OUT/plans/), DRILL_REGION (default: the county of median size).
"""
import os

THREADS = int(os.environ.get("THREADS", "2"))
# Polars sizes its thread pool when it is first imported, so this must come before any import.
os.environ["POLARS_MAX_THREADS"] = str(THREADS)

import csv
import datetime
import decimal
import math
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("RUNS", "5"))
WARMUP = max(1, int(os.environ.get("WARMUP", "1")))  # the first warm-up run is the result check
MEMORY_LIMIT_MB = int(os.environ.get("MEMORY_LIMIT_MB", "2048"))
PLANS = os.environ.get("PLANS", "1") == "1"
DRILL_DOWN_GOAL_MS = 100.0
ENGINES = ("fundq", "duckdb", "polars")


def die(msg):
    print(f"scale.py: {msg}", file=sys.stderr)
    sys.exit(2)


# --- the queries -------------------------------------------------------------------------------
class Query:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        text = open(path, encoding="utf-8").read()
        lines = text.splitlines()
        header = []
        while lines and (lines[0].startswith("--") or not lines[0].strip()):
            header.append(lines.pop(0))
        self.template = "\n".join(lines).strip() + "\n"
        self.scan = None
        self.drill_down = False
        self.memory_limit = False
        for line in header:
            m = re.match(r"--\s*bench:\s*(\w+)\s*(.*)$", line)
            if not m:
                continue
            key, value = m.group(1), m.group(2).strip()
            if key == "scan":
                self.scan = value
            elif key == "drill_down":
                self.drill_down = True
            elif key == "memory_limit":
                self.memory_limit = True
            else:
                die(f"{path}: unknown directive `bench: {key}`")

    def sql(self, region):
        return self.template.replace("{{region}}", region)


# --- the engines -------------------------------------------------------------------------------
def tables_of(data):
    """Every sub-folder of the data folder is a table, as fundq sees it."""
    return sorted(t for t in os.listdir(data)
                  if os.path.isdir(os.path.join(data, t)) and not t.startswith(("_", ".")))


class Fundq:
    """The CLI, one process per run, as a user runs it."""

    def __init__(self, data):
        self.bin = os.environ["FUNDQ_BIN"]
        self.data = data
        self.sql_dir = os.environ["SQL_DIR"]
        # fundq (DataFusion) uses every core it may run on; on a machine with more cores than
        # THREADS, pin it to THREADS of them, as the peers are limited to THREADS threads.
        cpus = sorted(os.sched_getaffinity(0))
        self.prefix = []
        if len(cpus) > THREADS and shutil.which("taskset"):
            self.prefix = ["taskset", "-c", ",".join(map(str, cpus[:THREADS]))]

    def command(self, sql, memory_limit=False, fmt="csv", output=None):
        cmd = [*self.prefix, self.bin]
        if memory_limit:
            cmd += ["--memory-limit-mb", str(MEMORY_LIMIT_MB)]
        cmd += ["--data", self.data, "--sql", self.sql_dir, "sql", "--format", fmt]
        if output:
            cmd += ["--output", output]
        # `--` because a statement may start with a `-`.
        return cmd + ["--", sql]

    def run(self, cmd, stdout=None):
        """Runs cmd, its output to the file stdout (default /dev/null); returns the wall ms."""
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=stdout or subprocess.DEVNULL,
                               stderr=err)
            ms = (time.perf_counter() - t0) * 1000.0
            if p.returncode != 0:
                err.seek(0)
                raise EngineError(f"fundq exited with {p.returncode}: "
                                  + err.read().decode(errors="replace").strip()[-2000:])
        return ms

    def result(self, q, sql):
        """One run whose rows are read back with their Arrow types: the result check needs to
        tell a DECIMAL from a DOUBLE, which CSV text cannot. (Arrow IPC, not Parquet: fundq's
        Parquet output refuses some results, see the note in bench/scale.sh.)"""
        import polars as pl
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.arrow")
            ms = self.run(self.command(sql, q.memory_limit, fmt="arrow", output=out))
            df = pl.read_ipc(out)
        return ms, df.columns, df.rows()

    def timed(self, q, sql):
        return self.run(self.command(sql, q.memory_limit))

    def explain(self, q, sql):
        p = subprocess.run(self.command("EXPLAIN ANALYZE " + sql, q.memory_limit),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if p.returncode != 0:
            return f"EXPLAIN ANALYZE failed ({p.returncode}): {p.stderr.strip()}"
        rows = list(csv.reader(p.stdout.splitlines(keepends=True)))
        return "\n\n".join(f"{r[0]}:\n{r[1]}" for r in rows[1:])

    def version(self):
        return subprocess.run([self.bin, "--version"], capture_output=True, text=True).stdout.strip()


class DuckDB:
    """In process: views over the Parquet files, THREADS threads."""

    def __init__(self, data, spill):
        import duckdb
        self.module = duckdb
        self.con = duckdb.connect()
        self.con.execute(f"SET threads = {THREADS}")
        self.con.execute(f"SET temp_directory = '{spill}'")
        for t in tables_of(data):
            self.con.execute(f"CREATE VIEW {t} AS SELECT * FROM "
                             f"read_parquet('{os.path.join(data, t)}/*.parquet')")

    def _run(self, q, fetch):
        # 2048 MiB, the same bytes as fundq's --memory-limit-mb 2048 (DuckDB's 'GB' is 10^9).
        if q.memory_limit:
            self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT_MB}MiB'")
        try:
            t0 = time.perf_counter()
            result = fetch()
            return (time.perf_counter() - t0) * 1000.0, result
        except self.module.Error as e:
            raise EngineError(f"duckdb: {e}")
        finally:
            if q.memory_limit:
                self.con.execute("RESET memory_limit")

    def result(self, q, sql):
        def fetch():
            cur = self.con.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
        ms, (cols, rows) = self._run(q, fetch)
        return ms, cols, rows

    def timed(self, q, sql):
        # Into an Arrow table, as Polars' result is a DataFrame: converting 10^4 rows to Python
        # objects would add milliseconds that are Python's, not DuckDB's.
        return self._run(q, lambda: self.con.sql(sql).to_arrow_table())[0]

    def scalar(self, sql):
        return self.con.execute(sql).fetchone()[0]

    def version(self):
        return "duckdb " + self.module.__version__


class Polars:
    """In process: the same SQL through Polars' SQLContext over lazy scans of the files."""

    def __init__(self, data):
        import polars as pl
        self.pl = pl
        self.frames = {t: pl.scan_parquet(os.path.join(data, t, "*.parquet")) for t in tables_of(data)}

    def result(self, q, sql):
        t0 = time.perf_counter()
        try:
            lazy = self.pl.SQLContext(self.frames).execute(sql, eager=False)
            # The streaming engine (Polars 2's default, named here so that an environment's
            # POLARS_ENGINE_AFFINITY cannot change it) processes the data in batches; it is also
            # Polars' answer to data larger than memory: it has no memory limit to set.
            df = lazy.collect(engine="streaming")
        except Exception as e:  # Polars raises many exception types (SQLInterfaceError, ComputeError, …)
            raise EngineError(f"polars: {type(e).__name__}: {e}")
        return (time.perf_counter() - t0) * 1000.0, df.columns, df.rows()

    def timed(self, q, sql):
        return self.result(q, sql)[0]

    def version(self):
        return "polars " + self.pl.__version__


class EngineError(Exception):
    pass


# --- comparing results -------------------------------------------------------------------------
# Sums and counts must agree exactly: DECIMAL(…, 2) sums come back as Python Decimals from all three
# engines (fundq's through its Parquet output), integers of any width are compared as Decimals, so
# 123 == Decimal('123.00') but nothing is rounded. Rates, shares and per-capita figures are
# computed in every query as CAST(… AS DOUBLE) / CAST(… AS DOUBLE), because DuckDB divides
# decimals into a DOUBLE anyway while DataFusion would keep a DECIMAL with its own scale; they are
# compared with a relative tolerance of 1e-9. Rounding them to 2 places (in SQL or here) would not
# be safer: a quotient within one ulp of a .xx5 tie can round either way, and the engines' ROUND
# functions differ. Nothing is lost, since every rate's numerator and denominator are exact
# columns of the same row. A DOUBLE against a DECIMAL is a difference (an engine lost exactness).
def normalise(v):
    if isinstance(v, bool) or v is None or isinstance(v, (str, float)):
        return v
    if isinstance(v, (int, decimal.Decimal)):
        return decimal.Decimal(v)
    return str(v)


def sort_key(row):
    # None sorts first; floats are rounded so that two engines' last-bit differences cannot
    # order rows differently.
    return tuple((0, "") if v is None else (1, round(v, 6)) if isinstance(v, float) else (1, v)
                 for v in row)


def same_value(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, decimal.Decimal) and isinstance(b, decimal.Decimal):
        return a == b and a.as_tuple().exponent == b.as_tuple().exponent
    return type(a) is type(b) and a == b


def prepare(cols, rows):
    return [c.lower() for c in cols], sorted((tuple(normalise(v) for v in r) for r in rows),
                                             key=sort_key)


def differences(ref, got):
    """None when got equals ref, else a description of the difference."""
    (rc, rr), (gc, gr) = ref, got
    if rc != gc:
        return f"columns differ: {gc} instead of {rc}"
    if len(rr) != len(gr):
        return f"{len(gr)} rows instead of {len(rr)}"
    bad = [i for i, (a, b) in enumerate(zip(rr, gr))
           if not all(same_value(x, y) for x, y in zip(a, b))]
    if bad:
        return f"{len(bad)} of {len(rr)} rows differ (first at sorted row {bad[0]})"
    return None


def show_rows(label, cols, rows, limit=12):
    print(f"    {label}: {len(rows)} rows, columns {cols}")
    for r in rows[:limit]:
        print("      " + ", ".join("NULL" if v is None else str(v) for v in r))
    if len(rows) > limit:
        print(f"      … {len(rows) - limit} more")


def save_rows(path, cols, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows(["" if v is None else v for v in r] for r in rows)


# --- EXPLAIN ANALYZE metrics ---------------------------------------------------------------------
UNITS = {"": 1, "K": 1e3, "M": 1e6, "B": 1e9, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3,
         "TB": 1024 ** 4}


def metric_sum(plan, name, line_filter=""):
    """Sum of a metric (DataFusion prints 1.2 K, 3.4 MB) over the plan lines containing line_filter."""
    total = 0.0
    for line in plan.splitlines():
        if line_filter in line:
            for value, unit in re.findall(rf"\b{name}=([0-9.]+)\s?([KMGTB]*)\b", line):
                total += float(value) * UNITS.get(unit, 1)
    return total


def metric_text(plan, name, line_filter):
    for line in plan.splitlines():
        if line_filter in line:
            m = re.search(rf"\b{name}=([^,\]]+)", line)
            if m:
                return m.group(1)
    return "?"


# --- the run -----------------------------------------------------------------------------------
def median_county(duck):
    """The county in the middle by insured persons in the last year: a typical drill-down."""
    return duck.scalar("""
        WITH sizes AS (
            SELECT h.region_code, SUM(h.persons) AS persons
            FROM headcount h JOIN region r ON r.region_code = h.region_code
            WHERE r.level = 'county' AND h.measure = 'insured'
              AND h.year = (SELECT MAX(year) FROM headcount)
            GROUP BY h.region_code
        )
        SELECT region_code FROM sizes ORDER BY persons, region_code
        LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM sizes)""")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def fmt_ms(ms):
    return "-" if ms is None else f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--once":
        return once(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        die("usage: scale.py DATA_DIR")
    data = os.path.abspath(sys.argv[1])
    queries = [Query(os.path.join(os.environ["QUERIES"], f))
               for f in sorted(os.listdir(os.environ["QUERIES"])) if f.endswith(".sql")]
    out = os.path.join(os.environ["OUT"], os.path.basename(data))
    os.makedirs(out, exist_ok=True)
    spill = os.path.join(out, "spill")
    os.makedirs(spill, exist_ok=True)

    fundq, duck, polars = Fundq(data), DuckDB(data, spill), Polars(data)
    engines = {"fundq": fundq, "duckdb": duck, "polars": polars}
    detail_rows = duck.scalar("SELECT COUNT(*) FROM detail")
    years = duck.con.execute(
        "SELECT year, COUNT(*) FROM detail GROUP BY year ORDER BY year").fetchall()
    row_groups = duck.scalar(f"SELECT COUNT(DISTINCT (file_name, row_group_id)) FROM "
                             f"parquet_metadata('{data}/detail/*.parquet')")
    counties = duck.scalar("SELECT COUNT(*) FROM region WHERE level = 'county'")
    persons = duck.scalar("SELECT COUNT(DISTINCT person_id) FROM detail")
    region = os.environ.get("DRILL_REGION") or median_county(duck)
    region_rows = duck.scalar(f"SELECT COUNT(*) FROM detail WHERE region_code = '{region}' "
                              f"AND year = (SELECT MAX(year) FROM detail)")
    detail_bytes = folder_bytes(os.path.join(data, "detail"))

    log = []

    def say(line=""):
        print(line, flush=True)
        log.append(line)

    say(f"data:     {data}")
    say(f"          {detail_rows:,} detail rows ({', '.join(f'{y}: {n:,}' for y, n in years)}), "
        f"{persons:,} persons, {counties:,} counties; detail {detail_bytes / 1e6:,.0f} MB "
        f"Parquet in {row_groups} row groups ({detail_bytes / detail_rows:.2f} bytes/row)")
    say(f"machine:  {os.cpu_count()} CPUs, {cpu_model()}, load average "
        f"{os.getloadavg()[0]:.2f} at start; every engine limited to {THREADS} threads")
    say(f"engines:  {fundq.version()} ({fundq.bin}); {duck.version()}; {polars.version()}")
    say(f"runs:     {WARMUP} warm-up (also the result check) + {RUNS} timed per engine and "
        f"query, interleaved; medians in ms")
    say("          fundq: wall time of the CLI process `fundq sql … --format csv` (includes its "
        "start-up, measured below); duckdb, polars: in process, execute and fetch the rows "
        "(an Arrow table, a DataFrame), no start-up")

    startup = [fundq.run(fundq.command("SELECT 1")) for _ in range(WARMUP + RUNS)][WARMUP:]
    say(f"          fundq start-up (`fundq sql \"SELECT 1\"`): median {statistics.median(startup):.1f} ms")
    say()

    results = []
    for q in queries:
        sql = q.sql(region)
        print(f"{q.name}: checking results", file=sys.stderr, flush=True)
        raw, errors = {}, {}
        for name, engine in engines.items():
            try:
                for _ in range(WARMUP):
                    _, cols, rows = engine.result(q, sql)
                raw[name] = (cols, rows)
            except EngineError as e:
                errors[name] = str(e)
        got = {name: prepare(*r) for name, r in raw.items()}
        status = {}
        ref = got.get("duckdb")
        for name in ENGINES:
            if name in errors:
                status[name] = "ERROR"
            elif ref is None:
                status[name] = "no reference"
            else:
                status[name] = "ok" if differences(ref, got[name]) is None else "FAILED"
        for name in ENGINES:
            if status[name] == "ERROR":
                say(f"{q.name}: {name} failed: {errors[name]}")
            elif status[name] == "FAILED":
                say(f"{q.name}: {name} FAILED: {differences(ref, got[name])}; both results "
                    f"(sorted) follow, all rows in {out}/mismatch/")
                os.makedirs(os.path.join(out, "mismatch"), exist_ok=True)
                for who in ("duckdb", name):
                    show_rows(who, *got[who])
                    save_rows(os.path.join(out, "mismatch", f"{q.name}.{who}.csv"), *got[who])
        # Engines whose result matched are timed even when fundq's did not (the peers' times
        # still tell how hard the query is); a failed engine gets no time and no ratio.
        timed = [n for n in ENGINES if status[n] == "ok"]
        times = {n: [] for n in timed}
        print(f"{q.name}: timing {', '.join(timed) or 'nothing'}", file=sys.stderr, flush=True)
        for i in range(RUNS if timed else 0):
            for name in timed[i % len(timed):] + timed[:i % len(timed)]:
                times[name].append(engines[name].timed(q, sql))
        med = {n: statistics.median(ts) for n, ts in times.items() if ts}
        plan = fundq.explain(q, sql) if (PLANS or q.drill_down or q.memory_limit) else ""
        if plan:
            os.makedirs(os.path.join(out, "plans"), exist_ok=True)
            with open(os.path.join(out, "plans", f"{q.name}.txt"), "w", encoding="utf-8") as f:
                f.write(f"-- fundq EXPLAIN ANALYZE{' (memory limit)' if q.memory_limit else ''}\n"
                        f"{sql}\n{plan}\n")
        scanned = duck.scalar(f"SELECT COUNT(*) FROM detail WHERE {q.scan}") if q.scan else None
        results.append((q, status, med, len(ref[1]) if ref else None, scanned, plan))

    # The table.
    start_ms = statistics.median(startup)
    say(f"{'query':<34} {'rows':>6} {'fundq':>9} {'duckdb':>9} {'polars':>9} {'fundq/':>7} "
        f"{'(no':>7} {'fundq detail':>13}  check")
    say(f"{'':<34} {'':>6} {'ms':>9} {'ms':>9} {'ms':>9} {'duckdb':>7} {'start)':>7} "
        f"{'rows/s':>13}")
    for q, status, med, nrows, scanned, _ in results:
        both = "fundq" in med and "duckdb" in med
        ratio = f"{med['fundq'] / med['duckdb']:.2f}" if both else "-"
        net = f"{max(med['fundq'] - start_ms, 0) / med['duckdb']:.2f}" if both else "-"
        rate = (f"{scanned / (med['fundq'] / 1000) / 1e6:,.1f} M" if scanned and "fundq" in med
                else "-")
        cells = [fmt_ms(med.get(n)) if status[n] == "ok" else status[n] for n in ENGINES]
        check = "ok" if all(s == "ok" for s in status.values()) else "FAILED"
        say(f"{q.name:<34} {nrows if nrows is not None else '-':>6} {cells[0]:>9} {cells[1]:>9} "
            f"{cells[2]:>9} {ratio:>7} {net:>7} {rate:>13}  {check}")
    say()
    say(f"fundq/duckdb (no start): fundq's median less its start-up ({start_ms:.1f} ms), over "
        f"DuckDB's.")
    say("rows/s: detail rows the query reads (its `bench: scan` predicate) / fundq's median wall "
        "time, start-up included.")
    scans = [(r[4], r[2]["fundq"]) for r in results if r[4] and "fundq" in r[2]]
    if scans:
        rows_per_s = sum(s for s, _ in scans) / (sum(t for _, t in scans) / 1000)
        say(f"  all scan queries together: {rows_per_s / 1e6:,.1f} M rows/s")

    for q, status, med, nrows, scanned, plan in results:
        if q.drill_down:
            say()
            say(f"drill-down {q.name}: county {region} ({region_rows:,} detail rows in the last "
                f"year, {region_rows / detail_rows:.3%} of all), goal < {DRILL_DOWN_GOAL_MS:.0f} ms:")
            for n in ENGINES:
                if n in med:
                    yes = "yes" if med[n] < DRILL_DOWN_GOAL_MS else "NO"
                    extra = " (includes start-up)" if n == "fundq" else ""
                    say(f"  {n:<7} {yes:<4} {fmt_ms(med[n])} ms{extra}")
            if plan:
                decoded = metric_sum(plan, "output_rows", "DataSourceExec")
                say(f"  fundq decoded ≈{decoded:,.0f} detail rows ({decoded / detail_rows:.2%} of "
                    f"all) — row groups: {metric_text(plan, 'row_groups_pruned_statistics', 'DataSourceExec')}"
                    f"; pages: {metric_text(plan, 'page_index_pages_pruned', 'DataSourceExec')}"
                    f"; bytes read {metric_text(plan, 'bytes_scanned', 'DataSourceExec')}")
        if q.memory_limit:
            say()
            say(f"person-level {q.name} under a {MEMORY_LIMIT_MB} MiB memory limit (one fresh "
                f"process each; peak RSS of the whole process):")
            for n in ENGINES:
                ms, rss, err = measure_once(n, q, data, region)
                if err:
                    say(f"  {n:<7} did NOT complete: {err.splitlines()[0][:200]}")
                else:
                    say(f"  {n:<7} completed in {fmt_ms(ms)} ms, peak RSS {rss:,.0f} MB"
                        f"{' (under the limit)' if rss <= MEMORY_LIMIT_MB else ' (ABOVE the limit)'}")
            if plan.startswith("EXPLAIN ANALYZE failed"):
                say("  fundq's EXPLAIN ANALYZE under the limit failed too: spill unknown")
            elif plan:
                say(f"  fundq spilled {metric_sum(plan, 'spill_count'):,.0f} times, "
                    f"{metric_sum(plan, 'spilled_bytes') / 1024 ** 2:,.0f} MB "
                    f"(EXPLAIN ANALYZE under the limit)")
            say("  duckdb: memory_limit bounds its buffer manager; polars: streaming engine, no "
                "limit to set")
    say()
    say(f"load average {os.getloadavg()[0]:.2f} at the end")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(out, f"results-{stamp}.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(log) + "\n")
    print(f"(saved to {out}/results-{stamp}.txt)")
    return 1 if any(s != "ok" for r in results for s in r[1].values()) else 0


def measure_once(name, q, data, region):
    """Runs q once in a fresh process of its own; returns (wall ms, peak RSS MB, error or None).

    The peak comes from GNU time, not from our own wait4: Linux keeps a process's peak RSS
    across exec, so a child forked from this process (which holds DuckDB, Polars and their
    caches) would report this process's peak. GNU time forks the command from its own small
    process."""
    if name == "fundq":
        fundq = Fundq(data)
        cmd = fundq.command(q.sql(region), q.memory_limit)
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--once", name, q.path]
    env = dict(os.environ, SCALE_DATA=data, DRILL_REGION=region)
    with tempfile.NamedTemporaryFile(mode="r") as rss, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        ms = (time.perf_counter() - t0) * 1000.0
        if p.returncode != 0:
            err.seek(0)
            return None, None, err.read().decode(errors="replace").strip()
        return ms, int(rss.read().split()[-1]) / 1024.0, None


def once(name, path):
    """Child of measure_once: one engine, one query, nothing else imported."""
    data = os.environ["SCALE_DATA"]
    q = Query(path)
    spill = tempfile.mkdtemp(prefix="scale-spill-", dir=os.environ.get("OUT"))
    try:
        engine = DuckDB(data, spill) if name == "duckdb" else Polars(data)
        engine.result(q, q.sql(os.environ["DRILL_REGION"]))
    except EngineError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
