"""Kept answers of `fundq serve` are never stale: psycopg 3 statements, prepared on the server
and sent by the simple protocol, are asked twice (so the second answer comes from the cache),
then the data or a view changes and the same statements must see the change; a server pinned
with `--as-of 0` must keep answering version 0.

Usage: cache_invalidation.py HOST LIVE_PORT PINNED_PORT FUNDQ DATA SQL
  FUNDQ is the fundq binary, DATA and SQL the live server's folders (a copy of the sample with
  the view sql/views/cache_probe/v1.sql = `SELECT 1 AS answer`).
Exits non-zero with a message on the first expectation that fails.

Expected figures come from data/ledger.csv, not from fundq: the sample's rows per year and
their amounts in yuan (an amount in 万元 is amount × 10000), plus the one row imported here.
"""
import csv
import decimal
import pathlib
import subprocess
import sys
import tempfile

import psycopg

host, live_port, pinned_port, fundq, data, sql = sys.argv[1:7]
ROOT = pathlib.Path(__file__).resolve().parents[2]
YUAN_PER_UNIT = {"元": decimal.Decimal(1), "万元": decimal.Decimal(10000)}


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")


def expected_from_csv(year, extra_rows=()):
    """(rows, total in yuan) of a year in data/ledger.csv plus `extra_rows` (CSV dicts)."""
    with open(ROOT / "data" / "ledger.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["year"] == str(year)] + list(extra_rows)
    if not rows:
        return (0, None)
    total = sum(decimal.Decimal(r["amount"]) * YUAN_PER_UNIT[r["unit"]] for r in rows)
    return (len(rows), total)


LEDGER_BY_YEAR = "SELECT count(*) AS n, sum(amount_yuan) AS total FROM ledger WHERE year = %s"


def prepared(conn, query, params):
    return conn.execute(query, params, prepare=True).fetchall()


def simple(conn, query):
    """The simple query protocol: psycopg's client-side cursor sends the text as it is."""
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(query)
        return cur.fetchall()


def ask_twice(name, ask, expected):
    for attempt in ("first", "second (kept)"):
        got = ask()
        check(got == expected, f"{name}, {attempt} answer: {got!r} != {expected!r}")


def import_row(row):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    done = subprocess.run(
        [fundq, "--data", data, "--sql", sql, "import", f.name, "--table", "ledger"],
        capture_output=True, text=True)
    check(done.returncode == 0, f"import failed: {done.stderr}")


live = psycopg.connect(host=host, port=live_port, user="fundq", dbname="datafusion", autocommit=True)
pinned = psycopg.connect(host=host, port=pinned_port, user="fundq", dbname="datafusion", autocommit=True)

# --- before: both servers answer the sample, twice -------------------------------------------
for year in (2022, 2023):
    expected = [expected_from_csv(year)]
    ask_twice(f"live {year}", lambda: prepared(live, LEDGER_BY_YEAR, (year,)), expected)
    ask_twice(f"pinned {year}", lambda: prepared(pinned, LEDGER_BY_YEAR, (year,)), expected)
simple_2023 = f"SELECT count(*) AS n, sum(amount_yuan) AS total FROM ledger WHERE year = 2023"
ask_twice("live 2023, simple protocol", lambda: simple(live, simple_2023), [(0, None)])

# --- an import: the next statement sees the new row, also one prepared before it -------------
new_row = {"region_code": "640121", "year": "2023", "fund_code": "enterprise_pension",
           "item_code": "interest", "scenario": "actual", "amount": "12.34", "unit": "万元"}
import_row(new_row)
after = [expected_from_csv(2023, [new_row])]
check(after == [(1, decimal.Decimal("123400.00"))], f"the oracle itself: {after}")
ask_twice("live 2023 after the import (prepared before it)",
          lambda: prepared(live, LEDGER_BY_YEAR, (2023,)), after)
ask_twice("live 2023 after the import, simple protocol", lambda: simple(live, simple_2023), after)
print("import: ok", after)

# --- a server pinned with --as-of 0 keeps answering version 0 --------------------------------
for year in (2022, 2023):
    ask_twice(f"pinned {year} after the import",
              lambda: prepared(pinned, LEDGER_BY_YEAR, (year,)), [expected_from_csv(year)])
print("as-of pinned: ok")

# --- a view edit, and a new version beside a pinned one --------------------------------------
probe = "SELECT answer FROM cache_probe"
ask_twice("cache_probe v1", lambda: simple(live, probe), [(1,)])
views = pathlib.Path(sql) / "views" / "cache_probe"
(views / "v1.sql").write_text("-- A probe of kept answers, edited.\nSELECT 10 AS answer\n", encoding="utf-8")
ask_twice("cache_probe v1 after an edit", lambda: simple(live, probe), [(10,)])
ask_twice("cache_probe v1 after an edit, prepared",
          lambda: prepared(live, "SELECT answer FROM cache_probe WHERE answer > %s", (0,)), [(10,)])
(views / "v2.sql").write_text("-- A probe of kept answers, v2.\nSELECT 200 AS answer\n", encoding="utf-8")
ask_twice("cache_probe after v2 (latest)",
          lambda: prepared(live, "SELECT answer FROM cache_probe WHERE answer > %s", (0,)), [(200,)])
ask_twice("cache_probe_v1 pinned beside v2", lambda: simple(live, "SELECT answer FROM cache_probe_v1"), [(10,)])
print("view edit and new version: ok")

# --- what is never kept: the answer of a volatile function changes every time ----------------
first = simple(live, "SELECT random() AS r FROM cache_probe")
second = simple(live, "SELECT random() AS r FROM cache_probe")
check(first != second, f"random() was answered from the cache: {first} then {second}")
print("volatile functions: ok")
