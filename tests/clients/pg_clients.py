"""Real Postgres clients against `fundq serve`: psycopg 3 with prepared statements and
SQLAlchemy (its inspector lists tables and views, the path Superset takes).

Usage: pg_clients.py HOST PORT USER PASSWORD
Exits non-zero with a message on the first expectation that fails.

Expected figures come from data/ledger.csv (the published report's figures), computed by hand:
enterprise pension, 640121, 2022, interest: budget 2260 万元, actual 2206.40 万元,
execution rate 2206.40 / 2260 = 0.976283... -> 97.63 %.
"""
import decimal
import sys

import psycopg
import sqlalchemy

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")


# --- psycopg 3, extended protocol with a server-side prepared statement -------------------
with psycopg.connect(host=host, port=port, user=user, password=password, dbname="datafusion") as conn:
    query = (
        "SELECT budget_wan, actual_wan, execution_rate FROM budget_execution "
        "WHERE region_code = %s AND year = %s AND fund_code = %s AND item_code = %s"
    )
    for _ in range(3):  # psycopg prepares on the server after repeated use; prepare=True forces it
        rows = conn.execute(query, ("640121", 2022, "enterprise_pension", "interest"), prepare=True).fetchall()
        check(len(rows) == 1, f"one interest row expected, got {rows}")
        budget, actual, rate = rows[0]
        for value in (budget, actual, rate):
            check(isinstance(value, decimal.Decimal), f"NUMERIC must arrive as Decimal, got {type(value)}: {value!r}")
        check(actual == decimal.Decimal("2206.40"), f"actual_wan {actual!r} != 2206.40")
        check(budget == decimal.Decimal("2260.00"), f"budget_wan {budget!r} != 2260.00")
        check(rate == decimal.Decimal("97.63"), f"execution_rate {rate!r} != 97.63")
    print("psycopg prepared statement: ok", rows[0])

    # A refused statement through the extended protocol.
    try:
        conn.execute("DELETE FROM ledger WHERE year = %s", (2022,), prepare=True)
        check(False, "DELETE was not refused")
    except psycopg.Error as error:
        check("read-only" in str(error), f"refusal should say read-only: {error}")
        conn.rollback()
    print("psycopg refused DELETE: ok")

# --- SQLAlchemy's inspector ------------------------------------------------------------------
engine = sqlalchemy.create_engine(
    f"postgresql+psycopg://{user}:{password}@{host}:{port}/datafusion"
)
inspector = sqlalchemy.inspect(engine)
tables = inspector.get_table_names(schema="public")
views = inspector.get_view_names(schema="public")
everything = set(tables) | set(views)
for name in ("ledger", "headcount", "fund", "item", "region", "budget_execution", "budget_execution_v1", "yoy_growth"):
    check(name in everything, f"{name} not listed by the inspector: tables={tables} views={views}")
# get_columns() is what Superset runs when a dataset is added. Expected columns and types are
# the public contract of budget_execution v1 (issue 2): exact NUMERIC money and rates.
reflected = {c["name"]: c for c in inspector.get_columns("budget_execution", schema="public")}
for name in ("region_code", "year", "fund_code", "fund_name", "direction", "item_code",
             "item_name", "budget_wan", "actual_wan", "execution_rate", "deviation_wan"):
    check(name in reflected, f"get_columns lacks {name}: {sorted(reflected)}")
for name in ("budget_wan", "actual_wan", "execution_rate"):
    check(isinstance(reflected[name]["type"], sqlalchemy.Numeric)
          and not isinstance(reflected[name]["type"], sqlalchemy.Float),
          f"{name} reflects as {reflected[name]['type']!r}, not an exact NUMERIC")
check(all(c["default"] is None for c in reflected.values()), "a view column reflected a default")
# information_schema holds the same facts, for tools that read it instead.
with engine.connect() as conn:
    columns = dict(
        conn.execute(
            sqlalchemy.text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = :table"
            ),
            {"table": "budget_execution"},
        ).all()
    )
for name in ("region_code", "year", "fund_code", "budget_wan", "actual_wan", "execution_rate"):
    check(name in columns, f"column {name} missing from budget_execution: {sorted(columns)}")
check(columns["actual_wan"].startswith("Decimal128"), f"actual_wan is {columns['actual_wan']}")
with engine.connect() as conn:
    total = conn.execute(
        sqlalchemy.text("SELECT count(*) FROM ledger WHERE year = :year"), {"year": 2022}
    ).scalar_one()
    check(total > 0, "no 2022 ledger rows through SQLAlchemy")
print(f"sqlalchemy inspector: ok ({len(tables)} tables, {len(views)} views)")
