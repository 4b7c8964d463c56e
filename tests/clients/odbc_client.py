"""psqlODBC (the PostgreSQL ODBC driver that Excel, Power BI's ODBC path, Tableau and SAS use)
through pyodbc against `fundq serve`: the catalog functions a tool browses with, a parameterised
query, Chinese text and exact DECIMAL money.

Usage: odbc_client.py HOST PORT [USER [PASSWORD]]
Run from the project root (expected figures are read from data/*.csv; FUNDQ_SAMPLE_DATA names
another folder). Needs unixODBC and psqlODBC (Debian: unixodbc, odbc-postgresql) and pyodbc.
Every check runs and prints "ok: NAME" or "FAILED: NAME: why"; a known gap of fundq (a difference
from PostgreSQL that cannot be fixed in fundq yet) prints "KNOWN GAP: NAME: why" and is not a
failure. Exits 1 when any check failed.
ODBC_TRACE_DIR=DIR makes the driver log every message it exchanges (CommLog) into DIR.

Expected values never come from fundq: amounts are data/ledger.csv's (万元 there, exact yuan in
the ledger table: × 10000), names are data/items.csv's and data/funds.csv's, keys are
sql/tables/ledger.sql's PRIMARY KEY.
"""
import configparser
import csv
import decimal
import os
import sys
import tempfile
from pathlib import Path


LEDGER_KEY = ["region_code", "year", "fund_code", "item_code", "scenario"]
TABLES = ["ledger", "headcount", "fund", "item", "region"]
VIEWS = ["budget_execution", "budget_execution_v1", "yoy_growth", "fund_balance"]
BUDGET_EXECUTION_COLUMNS = [
    "region_code", "year", "fund_code", "fund_name", "direction", "item_code", "item_name",
    "budget_wan", "actual_wan", "execution_rate", "deviation_wan", "memo",
]
REGION, YEAR, FUND, ITEM = "640121", 2022, "enterprise_pension", "interest"
UNIT_YUAN = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
DRIVER_SO = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"

host, port = sys.argv[1], sys.argv[2]
user = sys.argv[3] if len(sys.argv) > 3 else "fundq"
password = sys.argv[4] if len(sys.argv) > 4 else ""
data = Path(os.environ.get("FUNDQ_SAMPLE_DATA", "data"))
failures = 0
known_gaps = 0


def rows(name):
    with open(data / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# region|year|fund|item|scenario -> exact yuan with 2 decimals (the ledger's DECIMAL(18, 2))
LEDGER = {
    (r["region_code"], int(r["year"]), r["fund_code"], r["item_code"], r["scenario"]):
        (decimal.Decimal(r["amount"]) * UNIT_YUAN[r["unit"]]).quantize(decimal.Decimal("0.01"))
    for r in rows("ledger.csv")
}
ITEM_NAMES = {(r["fund_code"], r["item_code"]): r["name_zh"] for r in rows("items.csv")}
FUND_NAMES = {r["fund_code"]: r["name_zh"] for r in rows("funds.csv")}


def check(name):
    def run(body):
        global failures
        try:
            print(f"ok: {name}: {body()}")
        except Exception as error:  # pyodbc.Error or a failed expectation: report and go on
            failures += 1
            print(f"FAILED: {name}: {type(error).__name__}: {error}")
        return body
    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def known_gap(name, why):
    """A difference from PostgreSQL that fundq cannot remove yet: reported, not a failure."""
    global known_gaps
    known_gaps += 1
    print(f"KNOWN GAP: {name}: {why}")


def driver_library():
    """psqlODBC's Unicode driver: Debian's path, else what /etc/odbcinst.ini names."""
    if Path(DRIVER_SO).exists():
        return DRIVER_SO
    ini = configparser.ConfigParser()
    ini.read("/etc/odbcinst.ini")
    library = ini.get("PostgreSQL Unicode", "Driver", fallback="psqlodbcw.so")
    return library if library.startswith("/") else f"/usr/lib/x86_64-linux-gnu/odbc/{library}"


def private_odbcinst(folder, trace):
    """An odbcinst.ini of our own (ODBCSYSINI): the driver, with its logs where we say.

    Debian's /etc/odbcinst.ini turns CommLog on, and the driver then leaves a file in /tmp for
    every connection; here its logs go to ODBC_TRACE_DIR when asked for, else to a temporary
    folder removed at exit.
    """
    on = "1" if trace else "0"
    Path(folder, "odbcinst.ini").write_text(
        f"[PostgreSQL Unicode]\nDriver={driver_library()}\nCommLog={on}\nDebug={on}\n"
        f"Logdir={trace or folder}\n",
        encoding="utf-8",
    )
    Path(folder, "odbc.ini").write_text("", encoding="utf-8")


odbc_config = tempfile.TemporaryDirectory(prefix="fundq-odbc-")
trace_dir = os.environ.get("ODBC_TRACE_DIR")
private_odbcinst(odbc_config.name, trace_dir)
os.environ["ODBCSYSINI"] = odbc_config.name
os.environ["ODBCINI"] = str(Path(odbc_config.name, "odbc.ini"))
import pyodbc  # noqa: E402  (after ODBCSYSINI, which unixODBC reads when it loads)

connection_string = ";".join([
    "DRIVER={PostgreSQL Unicode}", f"SERVER={host}", f"PORT={port}", "DATABASE=datafusion",
    f"UID={user}", f"PWD={password}", "SSLmode=disable",
    "CommLog=1;Debug=1" if trace_dir else "CommLog=0;Debug=0",
]) + ";"
conn = pyodbc.connect(connection_string, timeout=10, autocommit=True)
# psqlODBC's Unicode driver speaks UTF-8 to the server and UTF-16 to the application.
conn.setdecoding(pyodbc.SQL_WCHAR, encoding="utf-16le")
conn.setencoding(encoding="utf-16le")
print("connected:", conn.getinfo(pyodbc.SQL_DBMS_NAME), conn.getinfo(pyodbc.SQL_DBMS_VER),
      "driver", conn.getinfo(pyodbc.SQL_DRIVER_VER))


@check("SQLTables lists tables and views")
def _():
    found = {r.table_name: r.table_type for r in conn.cursor().tables(schema="public")}
    for table in TABLES:
        expect(found.get(table) == "TABLE", f"{table} is {found.get(table)}")
    for view in VIEWS:
        expect(found.get(view) == "VIEW", f"{view} is {found.get(view)}")
    return f"{len(found)} tables and views"


@check("SQLTables(SQL_ALL_SCHEMAS) lists schemas")
def _():
    # catalog "", schema "%", table "": the ODBC idiom a tool's schema picker uses.
    schemas = {r.table_schem for r in conn.cursor().tables(catalog="", schema="%", table="", tableType="")}
    expect("public" in schemas, f"schemas {schemas}")
    return sorted(s for s in schemas if s)


@check("SQLColumns budget_execution")
def _():
    found = {r.column_name: r for r in conn.cursor().columns(table="budget_execution", schema="public")}
    expect(list(found) == BUDGET_EXECUTION_COLUMNS, f"columns {list(found)}")
    text_types = (pyodbc.SQL_VARCHAR, pyodbc.SQL_WVARCHAR, pyodbc.SQL_LONGVARCHAR, pyodbc.SQL_WLONGVARCHAR)
    for name in ("region_code", "fund_code", "fund_name", "item_code", "item_name"):
        expect(found[name].data_type in text_types, f"{name} is {found[name].data_type} {found[name].type_name}")
    expect(found["year"].data_type == pyodbc.SQL_INTEGER, f"year is {found['year'].type_name}")
    for name in ("budget_wan", "actual_wan", "execution_rate", "deviation_wan"):
        column = found[name]
        expect(column.data_type in (pyodbc.SQL_NUMERIC, pyodbc.SQL_DECIMAL),
               f"{name} is {column.data_type} {column.type_name}")
        # sql/views/budget_execution/v1.sql casts every amount and rate to 2 decimals.
        expect(column.decimal_digits == 2, f"{name} has decimal_digits {column.decimal_digits}")
    # psqlODBC reports bool as SQL_VARCHAR unless BoolsAsChar=0; the type name is what counts.
    expect(found["memo"].type_name == "bool", f"memo is {found['memo'].type_name}")
    return ", ".join(f"{n} {c.type_name}" for n, c in found.items())


@check("SQLPrimaryKeys ledger")
def _():
    key = [r.column_name for r in sorted(conn.cursor().primaryKeys("ledger", schema="public"), key=lambda r: r.key_seq)]
    expect(key == LEDGER_KEY, f"primary key {key}, sql/tables/ledger.sql declares {LEDGER_KEY}")
    return key


@check("SQLForeignKeys ledger")
def _():
    keys = list(conn.cursor().foreignKeys(foreignTable="ledger", foreignSchema="public"))
    expect(keys == [], f"foreign keys {keys}")  # sql/tables declares none
    return "none"


@check("SQLStatistics ledger")
def _():
    found = [r for r in conn.cursor().statistics("ledger", schema="public", unique=True) if r.column_name]
    columns = [r.column_name for r in sorted(found, key=lambda r: (r.index_name, r.ordinal_position))]
    # A unique index fundq reports must be the table's key (its primary key's index).
    expect(columns in ([], LEDGER_KEY), f"unique index columns {columns}")
    if not columns:
        known_gap("SQLStatistics lists the primary key's index",
                  "psqlODBC reads pg_index.indkey only as Postgres' int2vector type (OID 22), which "
                  "arrow-pg 0.16 cannot send, so fundq answers its index query with no rows "
                  "(SQLPrimaryKeys lists the key)")
    return columns or "no indexes"


@check("SQLGetTypeInfo")
def _():
    names = {r.type_name for r in conn.cursor().getTypeInfo()}
    for name in ("numeric", "int4", "varchar", "text", "bool", "date"):
        expect(name in names, f"{name} not in {sorted(names)}")
    numeric = [r.type_name for r in conn.cursor().getTypeInfo(pyodbc.SQL_NUMERIC)]
    expect("numeric" in numeric, f"SQLGetTypeInfo(SQL_NUMERIC) gave {numeric}")
    return f"{len(names)} types"


@check("parameterised query, exact DECIMAL")
def _():
    rows = conn.cursor().execute(
        "SELECT region_code, year, fund_code, item_code, scenario, amount_yuan FROM ledger "
        "WHERE region_code = ? AND year = ? AND fund_code = ? ORDER BY item_code, scenario",
        REGION, YEAR, FUND,
    ).fetchall()
    expected = {k: v for k, v in LEDGER.items() if k[:3] == (REGION, YEAR, FUND)}
    expect(len(rows) == len(expected), f"{len(rows)} rows, data/ledger.csv has {len(expected)}")
    for row in rows:
        amount = row.amount_yuan
        expect(isinstance(amount, decimal.Decimal), f"amount_yuan arrives as {type(amount).__name__}: {amount!r}")
        want = expected[tuple(row)[:5]]
        # as_tuple compares digits and exponent: 22064000.00, not 22064000 or 22064000.0000
        expect(amount.as_tuple() == want.as_tuple(), f"{tuple(row)[:5]}: {amount} != {want}")
    return f"{len(rows)} amounts equal data/ledger.csv"


@check("whole ledger, exact DECIMAL")
def _():
    served = {
        (r[0], r[1], r[2], r[3], r[4]): r[5]
        for r in conn.cursor().execute(
            "SELECT region_code, year, fund_code, item_code, scenario, amount_yuan FROM ledger")
    }
    differ = [k for k in LEDGER.keys() | served.keys()
              if k not in served or k not in LEDGER or served[k].as_tuple() != LEDGER[k].as_tuple()]
    expect(not differ, f"{len(differ)} rows differ, e.g. {differ[:3]}")
    return f"{len(served)} rows"


@check("budget_execution row: money, rate and Chinese names")
def _():
    cursor = conn.cursor().execute(
        "SELECT fund_name, item_name, budget_wan, actual_wan, execution_rate FROM budget_execution "
        "WHERE region_code = ? AND year = ? AND fund_code = ? AND item_code = ?",
        REGION, YEAR, FUND, ITEM,
    )
    rows = cursor.fetchall()
    expect(len(rows) == 1, f"rows {rows}")
    fund_name, item_name, budget, actual, rate = rows[0]
    key = (REGION, YEAR, FUND, ITEM)
    budget_yuan = LEDGER.get(key + ("adjusted_budget",), LEDGER[key + ("budget",)])
    actual_yuan = LEDGER[key + ("actual",)]
    cent = decimal.Decimal("0.01")
    want = (
        FUND_NAMES[FUND],
        ITEM_NAMES[(FUND, ITEM)],
        (budget_yuan / 10_000).quantize(cent),
        (actual_yuan / 10_000).quantize(cent),
        (actual_yuan * 100 / budget_yuan).quantize(cent, rounding=decimal.ROUND_HALF_UP),
    )
    expect((fund_name, item_name) == want[:2], f"names {fund_name!r} {item_name!r}, expected {want[:2]}")
    for got, expected in zip((budget, actual, rate), want[2:]):
        expect(isinstance(got, decimal.Decimal) and got.as_tuple() == expected.as_tuple(),
               f"{got!r} != {expected!r}")
    return rows[0]


@check("Chinese text as a parameter")
def _():
    codes = [r[0] for r in conn.cursor().execute(
        "SELECT item_code FROM item WHERE fund_code = ? AND name_zh = ?", FUND, ITEM_NAMES[(FUND, ITEM)])]
    expect(codes == [ITEM], f"item codes {codes}")
    return codes


@check("repeated prepared statement")
def _():
    cursor = conn.cursor()
    sql = "SELECT amount_yuan FROM ledger WHERE region_code = ? AND year = ? AND fund_code = ? AND item_code = ? AND scenario = ?"
    keys = list(LEDGER)[:10]
    for key in keys:
        value = cursor.execute(sql, *key).fetchval()
        expect(value is not None and value.as_tuple() == LEDGER[key].as_tuple(), f"{key}: {value!r} != {LEDGER[key]}")
    return f"{len(keys)} executions"


conn.close()
gaps = f" ({known_gaps} known gap(s))" if known_gaps else ""
print(("odbc: all checks passed" if failures == 0 else f"odbc: {failures} check(s) failed") + gaps)
sys.exit(1 if failures else 0)
