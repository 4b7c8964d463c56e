"""Load test of `fundq serve` (not run in CI): 16 concurrent psycopg clients for 30 s, each
running a bounded mix of the standard views' queries over the Postgres wire protocol with
prepared statements; prints queries/s, p50/p99 latency and the error count (must be 0).

Usage: bench/serve_load.sh (starts the server on the sample) or
       python bench/serve_load.py HOST PORT [CLIENTS] [SECONDS]
"""
import statistics
import sys
import threading
import time

import psycopg

host, port = sys.argv[1], int(sys.argv[2])
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 16
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0

# What a dashboard asks: one region, year and fund at a time.
QUERIES = [
    ("SELECT * FROM budget_execution WHERE region_code = %s AND year = %s AND fund_code = %s",
     ("640121", 2022, "enterprise_pension")),
    ("SELECT * FROM yoy_growth WHERE region_code = %s AND year = %s AND fund_code = %s",
     ("640121", 2022, "work_injury")),
    ("SELECT * FROM fund_balance WHERE region_code = %s AND year = %s", ("640121", 2022)),
    ("SELECT * FROM per_capita WHERE region_code = %s AND year = %s", ("640121", 2022)),
    ("SELECT fund_code, count(*) FROM ledger WHERE year = %s GROUP BY fund_code", (2022,)),
]

latencies, errors, lock = [], [], threading.Lock()
deadline = time.monotonic() + seconds


def client(number):
    try:
        with psycopg.connect(host=host, port=port, user="load", dbname="datafusion", autocommit=True) as conn:
            i = number
            while time.monotonic() < deadline:
                sql, params = QUERIES[i % len(QUERIES)]
                started = time.perf_counter()
                try:
                    rows = conn.execute(sql, params, prepare=True).fetchall()
                    if not rows:
                        raise RuntimeError(f"no rows: {sql} {params}")
                    with lock:
                        latencies.append(time.perf_counter() - started)
                except Exception as error:  # counted, reported, and the client carries on
                    with lock:
                        errors.append(repr(error))
                i += 1
    except Exception as error:
        with lock:
            errors.append(f"client {number}: {error!r}")


threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
started = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - started
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
print(f"clients {clients}, {elapsed:.1f} s, {len(latencies)} queries")
print(f"queries/s {len(latencies) / elapsed:.1f}")
print(f"latency ms: p50 {p(0.50):.1f}  p99 {p(0.99):.1f}  max {latencies[-1] * 1000:.1f}  mean {statistics.mean(latencies) * 1000:.1f}")
print(f"errors {len(errors)}")
for error in errors[:5]:
    print("  ", error)
sys.exit(1 if errors else 0)
