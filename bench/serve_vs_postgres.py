"""`fundq serve` against PostgreSQL on the same sample, views and load (bench/serve_vs_postgres.sh
starts the servers and runs this; see its header for what is measured and the settings).

    python bench/serve_vs_postgres.py load-postgres HOST:PORT
        creates sql/tables/ in an empty PostgreSQL database (user postgres, database postgres),
        loads the sample's source CSVs (data/*.csv) and creates every view of sql/views/
    python bench/serve_vs_postgres.py run --fundq [NAME=]HOST:PORT … --postgres HOST:PORT
        [--clients 1,16,64] [--rounds 3] [--seconds 10] [--processes N]
        checks that the servers return the same rows, then runs the load, interleaved; --fundq
        may be given more than once (fundq with different settings), NAME labels each

Exit status: 0 when every fundq returned PostgreSQL's rows and no query failed, 1 otherwise,
2 on a setup error.
"""
import argparse
import collections
import csv
import itertools
import multiprocessing
import os
import re
import resource
import signal
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SQL = ROOT / "sql"

# Source CSV -> table, as scripts/build-sample.sh imports them into data/.
SAMPLE = [
    ("funds.csv", "fund"),
    ("items.csv", "item"),
    ("regions.csv", "region"),
    ("ledger.csv", "ledger"),
    ("headcount.csv", "headcount"),
    ("benefit_standards.csv", "benefit_standard"),
]

# What a dashboard asks (bench/serve_load.py's mix): one region, year and fund at a time. Each
# statement runs for every region and year of data/ledger.csv and every fund of data/funds.csv.
TEMPLATES = [
    "SELECT * FROM budget_execution WHERE region_code = %s AND year = %s AND fund_code = %s",
    "SELECT * FROM yoy_growth WHERE region_code = %s AND year = %s AND fund_code = %s",
    "SELECT * FROM fund_balance WHERE region_code = %s AND year = %s AND fund_code = %s",
    "SELECT * FROM per_capita WHERE region_code = %s AND year = %s AND fund_code = %s",
    "SELECT scenario, count(*) AS items, sum(amount_yuan) AS amount_yuan FROM ledger"
    " WHERE region_code = %s AND year = %s AND fund_code = %s GROUP BY scenario",
]

POSTGRES = "postgres"
USERS = {"fundq": ("load", "datafusion"), POSTGRES: ("postgres", "postgres")}


class SetupError(Exception):
    pass


def connect(server, address, **kwargs):
    """A connection to PostgreSQL (server "postgres") or to a fundq (any other name)."""
    host, port = address.rsplit(":", 1)
    user, dbname = USERS[POSTGRES if server == POSTGRES else "fundq"]
    return psycopg.connect(host=host, port=int(port), user=user, dbname=dbname, autocommit=True,
                           connect_timeout=30, **kwargs)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --- loading PostgreSQL ------------------------------------------------------------------------

def strip_comments(sql):
    """The SQL without `--` comments and without the text of string literals."""
    return re.sub(r"'(?:[^']|'')*'|--[^\n]*", lambda m: "''" if m[0][0] == "'" else "", sql)


def create_tables(conn):
    """Runs sql/tables/*.sql unchanged: VARCHAR, INT, BIGINT, BOOLEAN, DECIMAL(p, s) and
    PRIMARY KEY mean the same in PostgreSQL."""
    tables = {}
    for path in sorted((SQL / "tables").glob("*.sql")):
        conn.execute(path.read_text(encoding="utf-8"))
        tables[path.stem] = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            (path.stem,))]
    return tables


def header_aliases():
    return {r["alias"]: r["column"] for r in read_csv(SQL / "import" / "header_aliases.csv")}


UNITS = {"元": 1, "万元": 10000, "亿元": 100000000}


def to_yuan(amount, unit, column, where):
    """`amount` + `unit` as exact yuan, as fundq's import does: 万元 × 10000, `元/月` for a
    monthly column."""
    per_month = unit.endswith("/月")
    factor = UNITS.get(unit[:-2] if per_month else unit)
    if factor is None or per_month != column.startswith("monthly_"):
        raise SetupError(f"{where}: unit {unit!r} does not fit column {column}")
    value = Decimal(amount.replace(",", "")) * factor
    if value != value.quantize(Decimal("0.01")):
        raise SetupError(f"{where}: {amount} {unit} is not a whole number of fen")
    return str(value.quantize(Decimal("0.01")))


def sample_rows(file_name, columns, aliases):
    """The CSV's rows as the table's columns. The CSVs are in the long layout: headers are column
    names (or their aliases), and each `…_yuan` column is given as amount + unit. Empty fields
    are NULL."""
    rows = read_csv(DATA / file_name)
    yuan = [c for c in columns if c.endswith("_yuan")]
    out = []
    for number, raw in enumerate(rows, start=2):
        row = {aliases.get(k, k): (v if v != "" else None) for k, v in raw.items()}
        if "amount" in row:
            if len(yuan) != 1:
                raise SetupError(f"data/{file_name}: amount given, but the table has {yuan}")
            amount, unit = row.pop("amount"), row.pop("unit")
            row[yuan[0]] = to_yuan(amount, unit, yuan[0], f"data/{file_name} row {number}")
        unknown = set(row) - set(columns)
        if unknown:
            raise SetupError(f"data/{file_name}: columns {sorted(unknown)} are not in the table"
                             " (only the long layout is supported here)")
        out.append([row.get(c) for c in columns])
    return out


def load_sample(conn, tables):
    aliases = header_aliases()
    for file_name, table in SAMPLE:
        columns = tables[table]
        rows = sample_rows(file_name, columns, aliases)
        with conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        print(f"  {table:<17} {len(rows):>4} rows from data/{file_name}")
    for table in sorted(set(tables) - {t for _, t in SAMPLE}):
        print(f"  {table:<17} empty (no CSV in the sample)")


def view_files():
    """{name: {version: sql}} from sql/views/<name>/v<N>.sql."""
    views = collections.defaultdict(dict)
    for path in (SQL / "views").glob("*/v*.sql"):
        match = re.fullmatch(r"v(\d+)\.sql", path.name)
        if match:
            views[path.parent.name][int(match[1])] = path.read_text(encoding="utf-8")
    return views


def dependencies(sql, names):
    """The views a view's SQL reads: `name` (latest) or `name_v<N>` (pinned)."""
    found = set()
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", strip_comments(sql)):
        word = word.lower()
        pinned = re.fullmatch(r"(.+)_v\d+", word)
        if word in names:
            found.add(word)
        elif pinned and pinned[1] in names:
            found.add(pinned[1])
    return found


def dependency_order(views):
    names = set(views)
    needs = {n: set().union(*(dependencies(s, names) for s in views[n].values())) - {n}
             for n in names}
    order, done = [], set()
    while len(order) < len(names):
        ready = sorted(n for n in names - done if needs[n] <= done)
        if not ready:
            raise SetupError(f"views depend on each other in a cycle: {sorted(names - done)}")
        order += ready
        done |= set(ready)
    return order, needs


def create_views(conn):
    """For each version file a view `<name>_v<N>`, and `<name>` for the latest version, in
    dependency order. A view that does not plan in PostgreSQL is skipped with the reason, and so
    are the views that read it."""
    views = view_files()
    order, needs = dependency_order(views)
    created, skipped = [], {}
    for name in order:
        missing = sorted(needs[name] & set(skipped))
        versions = sorted(views[name])
        for version in versions:
            view = f"{name}_v{version}"
            if missing:
                skipped[view] = f"reads {', '.join(missing)}, skipped"
                continue
            sql = views[name][version].strip().rstrip(";")
            try:
                with conn.transaction():
                    conn.execute(f"CREATE VIEW {view} AS\n{sql}")
                created.append(view)
            except psycopg.Error as error:
                skipped[view] = str(error).strip().splitlines()[0]
        latest = f"{name}_v{versions[-1]}"
        if latest in skipped:
            skipped[name] = f"its latest version {latest} was skipped"
        else:
            conn.execute(f"CREATE VIEW {name} AS SELECT * FROM {latest}")
            created.append(name)
    for view, reason in skipped.items():
        print(f"  skipped view {view}: {reason}")
    print(f"  {len(created)} views created ({len(views)} names, each also pinned as <name>_v<N>)"
          f", {len(skipped)} skipped")


def load_postgres(address):
    with connect(POSTGRES, address) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version} on {address}: loading the sample")
        tables = create_tables(conn)
        load_sample(conn, tables)
        create_views(conn)
        conn.execute("ANALYZE")


# --- the workload ------------------------------------------------------------------------------

def parameter_sets():
    """Every region and year of the ledger's source CSV, every fund of the fund CSV."""
    ledger = read_csv(DATA / "ledger.csv")
    regions = sorted({r["region_code"] for r in ledger})
    years = sorted({int(r["year"]) for r in ledger})
    funds = [r["fund_code"] for r in read_csv(DATA / "funds.csv")]
    return list(itertools.product(regions, years, funds))


def workload():
    """(sql, params) for every statement and parameter set; consecutive entries are different
    statements, so a client cycling through the list runs the mix in equal parts."""
    return [(sql, params) for params in parameter_sets() for sql in TEMPLATES]


# --- comparing rows ----------------------------------------------------------------------------

def canonical(value):
    """A value both servers must agree on: numbers as normalised decimals (1.50 = 1.5, and an
    integer equals the same decimal: PostgreSQL sums BIGINT to NUMERIC), NULL as itself."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, (int, Decimal)):
        return (2, Decimal(value).normalize())
    if isinstance(value, float):
        return (3, repr(value))
    return (4, str(value))


def fetch(conn, sql, params=None):
    cur = conn.execute(sql, params, prepare=params is not None)
    columns = [c.name for c in cur.description] if cur.description else []
    return columns, sorted(tuple(canonical(v) for v in row) for row in cur.fetchall())


def fetch_or_error(conn, sql, params=None):
    """fetch()'s result, or the first line of the server's error as the only "column"."""
    try:
        return fetch(conn, sql, params)
    except psycopg.Error as error:
        return [f"error: {str(error).strip().splitlines()[0]}"], []


def show(value):
    kind, v = value
    return "NULL" if kind == 0 else format(v, "f") if kind == 2 else str(v)


def difference(what, name, fundq, postgres):
    """None when equal, else a readable description."""
    (fq_cols, fq_rows), (pg_cols, pg_rows) = fundq, postgres
    width = max(len(name), len(POSTGRES))
    if fq_cols != pg_cols:
        return (f"{what}: columns differ\n    {name:<{width}} {fq_cols}\n"
                f"    {POSTGRES:<{width}} {pg_cols}")
    if fq_rows == pg_rows:
        return None
    fq, pg = collections.Counter(fq_rows), collections.Counter(pg_rows)
    lines = [f"{what}: rows differ ({len(fq_rows)} from {name}, {len(pg_rows)} from postgres)",
             f"    columns {', '.join(fq_cols)}"]
    for label, rows in ((name, fq - pg), (POSTGRES, pg - fq)):
        for row in list(rows.elements())[:10]:
            lines.append(f"    only {label:<{width}} ({', '.join(show(v) for v in row)})")
    return "\n".join(lines)


def check(name, fundq, postgres, entries):
    """Runs every statement of the load and every view on a fundq and on PostgreSQL; returns the
    row count of each entry and the differences found (in the load's statements, in other
    views)."""
    counts, load_diffs, view_diffs = [], [], []
    with connect(name, fundq) as fq, connect(POSTGRES, postgres) as pg:
        for sql, params in entries:
            a, b = fetch_or_error(fq, sql, params), fetch_or_error(pg, sql, params)
            diff = difference(f"{sql} {params}", name, a, b)
            if diff:
                load_diffs.append(diff)
            counts.append(len(a[1]))
        in_postgres = {r[0] for r in pg.execute(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'public'")}
        views = view_files()
        names = [n for name in sorted(views)
                 for n in [name] + [f"{name}_v{v}" for v in sorted(views[name])]]
        skipped = [f"{n} (not in PostgreSQL)" for n in names if n not in in_postgres]
        compared = 0
        for view in (n for n in names if n in in_postgres):
            a = fetch_or_error(fq, f"SELECT * FROM {view}")
            if a[0] and a[0][0].startswith("error: "):
                skipped.append(f"{view} ({name}: {a[0][0][7:]})")
                continue
            b = fetch(pg, f"SELECT * FROM {view}")
            compared += 1
            diff = difference(f"view {view}", name, a, b)
            if diff:
                view_diffs.append(diff)
    print(f"check {name} against postgres: {len(entries)} statements of the load "
          f"({sum(counts)} rows), "
          f"{len(load_diffs)} differ; {compared} whole views, {len(view_diffs)} differ")
    for line in skipped:
        print(f"  view not compared: {line}")
    for diff in load_diffs + view_diffs:
        print("  " + diff)
    return counts, load_diffs, view_diffs


# --- the load ----------------------------------------------------------------------------------

def client(server, address, entries, start, go, deadline_box, result):
    """One connection: prepares each statement once (untimed), waits for `go`, then cycles
    through the entries from `start` until the deadline."""
    latencies, errors = [], []
    result.update(latencies=latencies, errors=errors, end=None)
    conn = None
    try:
        conn = connect(server, address)
        for sql, params, _ in {e[0]: e for e in entries}.values():
            conn.execute(sql, params, prepare=True).fetchall()
    except Exception as error:
        errors.append(f"connect/prepare: {error!r}")
        if conn is not None:
            conn.close()
        result["ready"].set()
        return
    result["ready"].set()
    go.wait()
    deadline = deadline_box[0]
    i = start
    with conn:
        while time.monotonic() < deadline:
            sql, params, expected = entries[i % len(entries)]
            i += 1
            started = time.perf_counter()
            try:
                rows = conn.execute(sql, params, prepare=True).fetchall()
                elapsed = time.perf_counter() - started
                if len(rows) != expected:
                    errors.append(f"{len(rows)} rows, expected {expected}: {sql} {params}")
                else:
                    latencies.append(elapsed)
            except Exception as error:  # counted and reported; the client carries on
                errors.append(f"{error!r}: {sql} {params}")
                if conn.broken:
                    break
        result["end"] = time.monotonic()


def worker(pipe):
    """A load process: runs the clients it is given as threads, one round at a time, so the
    Python side of the load is spread over processes rather than one GIL. Ctrl-C is the main
    process's to handle: it stops the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        message = pipe.recv()
        if message is None:
            return
        server, address, entries, client_numbers = message
        go, deadline_box = threading.Event(), [0.0]
        results = [{"ready": threading.Event()} for _ in client_numbers]
        threads = [threading.Thread(target=client, args=(server, address, entries,
                                                         (n * 7) % len(entries), go,
                                                         deadline_box, r))
                   for n, r in zip(client_numbers, results)]
        for t in threads:
            t.start()
        for r in results:
            r["ready"].wait()
        pipe.send("ready")
        started_at, seconds = pipe.recv()
        deadline_box[0] = started_at + seconds
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        go.set()
        for t in threads:
            t.join()
        after = resource.getrusage(resource.RUSAGE_SELF)
        ends = [r["end"] for r in results if r["end"] is not None]
        pipe.send({
            "latencies": [x for r in results for x in r["latencies"]],
            "errors": [x for r in results for x in r["errors"]],
            "end": max(ends) if ends else started_at + seconds,
            "cpu": (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime),
        })


class Load:
    def __init__(self, processes):
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for _ in range(processes):
            parent, child = context.Pipe()
            process = context.Process(target=worker, args=(child,), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def round(self, server, address, entries, clients, seconds):
        share = [list(range(p, clients, len(self.pipes))) for p in range(len(self.pipes))]
        busy = [(pipe, numbers) for pipe, numbers in zip(self.pipes, share) if numbers]
        for pipe, numbers in busy:
            pipe.send((server, address, entries, numbers))
        for pipe, _ in busy:
            pipe.recv()
        started_at = time.monotonic() + 0.05
        for pipe, _ in busy:
            pipe.send((started_at, seconds))
        parts = [pipe.recv() for pipe, _ in busy]
        return {
            "latencies": [x for p in parts for x in p["latencies"]],
            "errors": [x for p in parts for x in p["errors"]],
            "elapsed": max(p["end"] for p in parts) - started_at,
            "cpu": sum(p["cpu"] for p in parts),
        }

    def close(self):
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)

    def stop(self):
        """Stops the processes at once, even in the middle of a round."""
        for process in self.processes:
            process.terminate()


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def summary(rounds):
    latencies = sorted(x for r in rounds for x in r["latencies"])
    elapsed = sum(r["elapsed"] for r in rounds)
    return {
        "queries": len(latencies),
        "qps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "max": (latencies[-1] if latencies else float("nan")) * 1000,
        "errors": sum(len(r["errors"]) for r in rounds),
        "cores": sum(r["cpu"] for r in rounds) / elapsed,
        "rounds": [len(r["latencies"]) / r["elapsed"] for r in rounds],
    }


def run(args):
    entries = workload()
    print(f"load: {len(TEMPLATES)} prepared statements x {len(parameter_sets())} parameter sets "
          f"(region, year, fund) = {len(entries)} entries per client cycle")
    load_diffs, view_diffs = [], []
    for name, address in args.fundq:
        counts, load, views = check(name, address, args.postgres, entries)
        load_diffs += load
        view_diffs += views
    if load_diffs:
        print("the servers return different rows for the load's statements: not measuring")
        return 1
    entries = [(sql, params, n) for (sql, params), n in zip(entries, counts)]
    servers = dict(args.fundq) | {POSTGRES: args.postgres}
    results = measure(servers, entries, args)
    width = max(8, *map(len, servers))
    print()
    print(f"{'clients':>7}  {'server':<{width}} {'queries':>8} {'q/s':>9} {'p50 ms':>9} "
          f"{'p99 ms':>9} {'max ms':>9} {'errors':>6}  {'load gen':>9}  q/s per round")
    errors = 0
    for clients, by_server in results.items():
        for name, s in by_server.items():
            errors += s["errors"]
            print(f"{clients:>7}  {name:<{width}} {s['queries']:>8} {s['qps']:>9.1f} "
                  f"{s['p50']:>9.1f} {s['p99']:>9.1f} {s['max']:>9.1f} {s['errors']:>6}  "
                  f"{s['cores']:>5.2f} CPU  {' '.join(f'{q:.1f}' for q in s['rounds'])}")
        pg = by_server[POSTGRES]
        for name, _ in args.fundq:
            fq = by_server[name]
            ratio = fq["qps"] / pg["qps"] if pg["qps"] else float("nan")
            print(f"{clients:>7}  ratio {name}/postgres q/s {ratio:.3f}  "
                  f"(p50 {name}/postgres {fq['p50'] / pg['p50']:.2f})")
    print(f"(load gen: CPU seconds the load generator used per second of the round, "
          f"{args.processes} processes; {os.cpu_count()} cores on this machine, shared with the "
          f"servers)")
    if view_diffs:
        print(f"{len(view_diffs)} views outside the load return different rows (see check above)")
    return 1 if errors or view_diffs else 0


def measure(servers, entries, args):
    """{clients: {server: summary}}: for each client count, args.rounds rounds against each
    server, the server going first rotating from round to round."""
    load = Load(args.processes)
    results = {}
    names = list(servers)
    width = max(8, *map(len, names))
    try:
        for clients in args.clients:
            rounds = {name: [] for name in names}
            for number in range(args.rounds):
                turn = number % len(names)
                for name in names[turn:] + names[:turn]:
                    r = load.round(name, servers[name], entries, clients, args.seconds)
                    rounds[name].append(r)
                    lat = sorted(r["latencies"])
                    print(f"  {clients:>2} clients, round {number + 1}/{args.rounds}, "
                          f"{name:<{width}} {len(lat):>6} queries in {r['elapsed']:5.1f} s  "
                          f"{len(lat) / r['elapsed']:8.1f} q/s  "
                          f"p50 {percentile(lat, 0.5) * 1000:7.1f} ms  "
                          f"errors {len(r['errors'])}", flush=True)
                    for error in r["errors"][:3]:
                        print(f"      {error}")
            results[clients] = {name: summary(rounds[name]) for name in names}
    except BaseException:
        load.stop()
        raise
    load.close()
    return results


def client_counts(text):
    return [int(x) for x in text.replace(",", " ").split()]


def named_address(text):
    name, _, address = text.rpartition("=")
    name = name or "fundq"
    if name == POSTGRES:
        raise argparse.ArgumentTypeError(f"{name} names the PostgreSQL server")
    return name, address


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load-postgres")
    p.add_argument("postgres", metavar="HOST:PORT")
    p = sub.add_parser("run")
    p.add_argument("--fundq", required=True, action="append", type=named_address,
                   metavar="[NAME=]HOST:PORT")
    p.add_argument("--postgres", required=True, metavar="HOST:PORT")
    p.add_argument("--clients", type=client_counts, default=[1, 16, 64])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--processes", type=int, default=max(2, os.cpu_count() or 1))
    args = parser.parse_args()
    if args.command == "run" and len(dict(args.fundq)) != len(args.fundq):
        parser.error("each --fundq needs a name of its own")
    # A SIGTERM (from bench/serve_vs_postgres.sh on Ctrl-C) unwinds like an exit, so the load
    # processes are stopped and the connections closed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    try:
        if args.command == "load-postgres":
            load_postgres(args.postgres)
            return 0
        return run(args)
    except (SetupError, psycopg.OperationalError) as error:
        print(f"serve_vs_postgres: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
