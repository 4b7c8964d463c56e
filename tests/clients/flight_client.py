"""ADBC's Flight SQL driver against `fundq serve`: list objects, fetch an Arrow table, run a
prepared statement with a bound parameter.

Usage: flight_client.py URI [USER PASSWORD]
Expected figures as in pg_clients.py (hand-computed from data/ledger.csv): enterprise pension,
640121, 2022, interest: actual 2206.40 万元, execution rate 97.63 %.
"""
import decimal
import sys

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa

uri = sys.argv[1]
db_kwargs = {}
if len(sys.argv) == 4:
    db_kwargs = {"username": sys.argv[2], "password": sys.argv[3]}


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")


with flightsql.connect(uri, db_kwargs=db_kwargs) as conn:
    objects = conn.adbc_get_objects(depth="columns").read_all().to_pylist()
    tables = {
        table["table_name"]: table
        for catalog in objects
        for schema in catalog["catalog_db_schemas"] or []
        for table in schema["db_schema_tables"] or []
    }
    for name in ("ledger", "budget_execution", "budget_execution_v1"):
        check(name in tables, f"{name} not listed: {sorted(tables)[:20]}")
    columns = [c["column_name"] for c in tables["budget_execution"]["table_columns"] or []]
    check("execution_rate" in columns, f"budget_execution columns: {columns}")
    print(f"adbc get_objects: ok ({len(tables)} tables and views)")

    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT item_code, actual_wan, execution_rate FROM budget_execution "
            "WHERE region_code = '640121' AND year = 2022 AND fund_code = 'enterprise_pension' "
            "ORDER BY item_code"
        )
        table = cursor.fetch_arrow_table()
        check(pa.types.is_decimal(table.schema.field("actual_wan").type), f"actual_wan type {table.schema}")
        rows = {r["item_code"]: r for r in table.to_pylist()}
        check(rows["interest"]["actual_wan"] == decimal.Decimal("2206.40"), f"interest row {rows.get('interest')}")
        check(rows["interest"]["execution_rate"] == decimal.Decimal("97.63"), f"interest row {rows.get('interest')}")
        print(f"adbc statement: ok ({table.num_rows} rows)")

        cursor.execute(
            "SELECT actual_wan FROM budget_execution WHERE region_code = '640121' AND year = ? "
            "AND fund_code = 'enterprise_pension' AND item_code = 'interest'",
            parameters=(2022,),
        )
        value = cursor.fetchone()
        check(value is not None and value[0] == decimal.Decimal("2206.40"), f"prepared statement gave {value}")
        print("adbc prepared statement: ok")

        try:
            cursor.execute("DROP TABLE ledger")
            check(False, "DROP TABLE was not refused")
        except Exception as error:  # the driver raises its own ProgrammingError subclasses
            check("read-only" in str(error), f"refusal should say read-only: {error}")
        print("adbc refused DROP: ok")
