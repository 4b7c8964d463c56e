"""The catalog and start-up statements that BI tools and SQL clients send, replayed against
`fundq serve` over psycopg, each reported as ok or FAILED with the server's error.

Usage: catalog_replay.py HOST PORT [USER [PASSWORD]] [--client NAME] [--verbose]
Prints "ok: CLIENT: CALL" or "FAILED: CLIENT: CALL: error" per statement (with --verbose, the
whole statement of each failure) and exits 1 when any failed. A call marked as a known gap of
fundq (a difference from PostgreSQL that cannot be fixed in fundq yet, with the reason) prints
"KNOWN GAP: CLIENT: CALL: reason: error" when it fails, which is not a failure, and "ok" with a
reminder to remove the mark when it passes.

Two kinds of entries:
- live: the real client library runs against the server (SQLAlchemy's Inspector, the way
  Superset reflects a dataset; psql's meta-commands with -E, the psql on the machine). The SQL
  of a failing call is the last statement the client sent.
- replayed: statements recorded from a client, sent with the protocol that client uses
  (simple query, or extended with an unnamed statement and text parameters):
  * pgcli 4.7 / pgspecial 2.2: recorded from a real PostgreSQL 15 with log_statement=all while
    pgcli's completion refresher and its \\dt, \\dv, \\d, \\l, \\dn ran (PGExecute, pip install
    pgcli);
  * pgAdmin 4 (9.x): the start-up statements of pgadmin/utils/driver/psycopg3/connection.py and
    the browser tree's nodes.sql templates (databases, schemas, tables, views, columns), rendered
    as pgAdmin renders them for PostgreSQL 15+, from the pgadmin4 wheel on PyPI;
  * DBeaver 25.1 and Metabase 0.55 (both over pgjdbc): as datafusion-postgres 0.19 records them
    in its tests (tests/dbeaver.rs, tests/metabase.rs);
  * Grafana: its health check (pgx's Ping sends the comment-only `-- ping`; lib/pq's sends `;`)
    and the table and column queries of its query editor (datafusion-postgres tests/grafana.rs);
  * Npgsql (Power BI, .NET tools): the type-loading queries it sends when it first connects to
    a database (PostgresDatabaseInfo in Npgsql 6-8), written from Npgsql's source: NuGet is not
    reachable here, so compare with a capture from a real Npgsql when one is at hand;
  * psqlODBC 13: its connection set-up statements, recorded as for pgcli.
  Statements that name a relation by OID use {public_oid}, {ledger_oid} or
  {budget_execution_oid}, looked up on the server first, as the client would have.

pgjdbc's DatabaseMetaData and psqlODBC's catalog functions run live in JdbcClient.java and
odbc_client.py, which print the statement of any call that fails.
"""
import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field

import psycopg
import sqlalchemy
from psycopg import pq

LEDGER_KEY = ["region_code", "year", "fund_code", "item_code", "scenario"]
TABLES = ["ledger", "headcount", "fund", "item", "region"]
VIEWS = ["budget_execution", "budget_execution_v1", "yoy_growth"]


@dataclass
class Statement:
    client: str
    call: str
    sql: str
    protocol: str = "simple"  # or "extended": Parse/Bind/Execute, unnamed, text parameters
    params: list = field(default_factory=list)
    # A check of the rows (lists of text values); None accepts any answer that is not an error.
    expect: object = None
    # Why this call cannot work on fundq yet; None for a call that must work.
    known_gap: str = None


def returns(*names):
    """Every name appears somewhere in the rows."""
    def check(rows):
        text = {value for row in rows for value in row}
        missing = [n for n in names if n not in text]
        return f"lacks {missing}" if missing else None
    return check


def lists_relations(*names):
    """Every name appears, bare (in the search path, as Postgres answers) or as public.NAME."""
    def check(rows):
        text = {value for row in rows for value in row}
        missing = [n for n in names if n not in text and f"public.{n}" not in text]
        return f"lacks {missing}" if missing else None
    return check


STATEMENTS = [
    # --- Npgsql (Power BI's PostgreSQL connector, .NET tools) ------------------------------
    Statement("npgsql", "load types", """
SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, t.elemtypoid
FROM (
    -- Arrays have typtype=b - this subquery identifies them by their typreceive and converts their typtype to a
    -- We first do this for the type (innerest-most subquery), and then for its element type
    -- This also returns the array element, range subtype and domain base type as elemtypoid
    SELECT
        typ.oid, typ.typnamespace, typ.typname, typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind,
        elemtyp.oid AS elemtypoid, elemtyp.typname AS elemtypname, elemcls.relkind AS elemrelkind,
        CASE WHEN elemproc.proname='array_recv' THEN 'a' ELSE elemtyp.typtype END AS elemtyptype
    FROM (
        SELECT typ.oid, typnamespace, typname, typrelid, typnotnull, relkind, typelem AS elemoid,
            CASE WHEN proc.proname='array_recv' THEN 'a' ELSE typ.typtype END AS typtype,
            CASE
                WHEN proc.proname='array_recv' THEN typ.typelem
                WHEN typ.typtype='r' THEN rngsubtype
                WHEN typ.typtype='m' THEN (SELECT rngtypid FROM pg_range WHERE rngmultitypid = typ.oid)
                WHEN typ.typtype='d' THEN typ.typbasetype
            END AS elemtypoid
        FROM pg_type AS typ
        LEFT JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
        LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive
        LEFT JOIN pg_range ON (pg_range.rngtypid = typ.oid)
    ) AS typ
    LEFT JOIN pg_type AS elemtyp ON elemtyp.oid = elemtypoid
    LEFT JOIN pg_class AS elemcls ON (elemcls.oid = elemtyp.typrelid)
    LEFT JOIN pg_proc AS elemproc ON elemproc.oid = elemtyp.typreceive
) AS t
JOIN pg_namespace AS ns ON (ns.oid = typnamespace)
WHERE
    typtype IN ('b', 'r', 'm', 'e', 'd') OR -- Base, range, multirange, enum, domain
    (typtype = 'c' AND relkind='c') OR -- User-defined free-standing composites (not table composites) by default
    (typtype = 'p' AND typname IN ('record', 'void', 'unknown')) OR -- Some special supported pseudo-types
    (typtype = 'a' AND (  -- Array of...
        elemtyptype IN ('b', 'r', 'm', 'e', 'd') OR -- Array of base, range, multirange, enum, domain
        (elemtyptype = 'p' AND elemtypname IN ('record', 'void')) OR -- Arrays of special supported pseudo-types
        (elemtyptype = 'c' AND elemrelkind='c') -- Array of user-defined free-standing composites (not table composites) by default
    ))
ORDER BY CASE
       WHEN typtype IN ('b', 'e', 'p') THEN 0           -- First base types, enums, pseudo-types
       WHEN typtype = 'r' THEN 1                        -- Ranges after
       WHEN typtype = 'm' THEN 2                        -- Multiranges after
       WHEN typtype = 'c' THEN 3                        -- Composites after
       WHEN typtype = 'd' AND elemtyptype <> 'a' THEN 4 -- Domains over non-arrays after
       WHEN typtype = 'a' THEN 5                        -- Arrays after
       WHEN typtype = 'd' AND elemtyptype = 'a' THEN 6  -- Domains over arrays last
END
""", "extended", expect=returns("numeric", "int4", "varchar", "text", "bool", "_numeric")),
    Statement("npgsql", "load composite fields", """
-- Load field definitions for (free-standing) composite types
SELECT typ.oid, att.attname, att.atttypid
FROM pg_type AS typ
JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
WHERE
  (typ.typtype = 'c' AND cls.relkind='c') AND
  attnum > 0 AND     -- Don't load system attributes
  NOT attisdropped
ORDER BY typ.oid, att.attnum
""", "extended"),
    Statement("npgsql", "load enum labels", """
-- Load enum fields
SELECT pg_type.oid, enumlabel
FROM pg_enum
JOIN pg_type ON pg_type.oid=enumtypid
ORDER BY oid, enumsortorder
""", "extended"),

    # --- Grafana -------------------------------------------------------------------------------
    Statement("grafana", "health check (pgx Ping)", "-- ping", "simple"),
    Statement("grafana", "health check (lib/pq Ping)", ";", "simple"),
    Statement("grafana", "query editor: tables", """
SELECT
    CASE WHEN
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1
""", "simple", expect=lists_relations("ledger", "budget_execution")),
    Statement("grafana", "query editor: columns", """
SELECT quote_ident(column_name) AS "column", data_type AS "type"
FROM information_schema.columns
WHERE
  CASE WHEN array_length(parse_ident('public.budget_execution'),1) = 2
    THEN quote_ident(table_schema) = (parse_ident('public.budget_execution'))[1]
      AND quote_ident(table_name) = (parse_ident('public.budget_execution'))[2]
    ELSE quote_ident(table_name) = 'public.budget_execution'
      AND
      quote_ident(table_schema) IN (
      SELECT
        CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
      FROM
        generate_series(
          array_lower(string_to_array(current_setting('search_path'),','),1),
          array_upper(string_to_array(current_setting('search_path'),','),1)
        ) as i,
        string_to_array(current_setting('search_path'),',') s
      )
  END
""", "simple", expect=returns("execution_rate", "actual_wan")),

    # --- psqlODBC 13 (connection set-up; its catalog functions run in odbc_client.py) -------
    Statement("psqlodbc", "connect: settings",
              "SET DateStyle = 'ISO';SET extra_float_digits = 2;show transaction_isolation", "simple"),
    Statement("psqlodbc", "connect: large-object type",
              "select oid, typbasetype from pg_type where typname = 'lo'", "simple"),
    Statement("psqlodbc", "SQLGetInfo(SQL_MAX_IDENTIFIER_LEN)", "show max_identifier_length", "simple"),

    # --- pgAdmin 4 -----------------------------------------------------------------------------
    Statement("pgadmin", "connect: session settings", """
SET DateStyle=ISO; SET client_min_messages=notice; SELECT set_config('bytea_output','hex',false) FROM pg_show_all_settings() WHERE name = 'bytea_output'; SET client_encoding='UNICODE';
""", "simple"),
    Statement("pgadmin", "connect: version", "SELECT version()", "simple"),
    Statement("pgadmin", "connect: database", """
SELECT
    db.oid as did, db.datname, db.datallowconn,
    pg_encoding_to_char(db.encoding) AS serverencoding,
    has_database_privilege(db.oid, 'CREATE') as cancreate,
    datistemplate
FROM
    pg_catalog.pg_database db
WHERE db.datname = current_database()
""", "simple", expect=returns("datafusion")),
    Statement("pgadmin", "connect: GSSAPI", """
SELECT
     gss_authenticated, encrypted
FROM
    pg_catalog.pg_stat_gssapi
WHERE pid = pg_backend_pid()
""", "simple"),
    Statement("pgadmin", "connect: user", """
SELECT
    roles.oid as id, roles.rolname as name,
    roles.rolsuper as is_superuser,
    CASE WHEN roles.rolsuper THEN true ELSE roles.rolcreaterole END as
    can_create_role,
    CASE WHEN roles.rolsuper THEN true
    ELSE roles.rolcreatedb END as can_create_db,
    CASE WHEN 'pg_signal_backend'=ANY(ARRAY(WITH RECURSIVE cte AS (
    SELECT pg_roles.oid,pg_roles.rolname FROM pg_catalog.pg_roles
        WHERE pg_roles.oid = roles.oid
    UNION ALL
    SELECT m.roleid,pgr.rolname FROM cte cte_1
        JOIN pg_catalog.pg_auth_members m ON m.member = cte_1.oid
        JOIN pg_catalog.pg_roles pgr ON pgr.oid = m.roleid)
    SELECT rolname  FROM cte)) THEN True
    ELSE False END as can_signal_backend
FROM
    pg_catalog.pg_roles as roles
WHERE
    rolname = current_user
""", "simple"),
    Statement("pgadmin", "connect: replication type", """
SELECT CASE
    WHEN (SELECT count(extname) FROM pg_catalog.pg_extension WHERE extname='bdr') > 0
    THEN 'pgd'
    WHEN (SELECT COUNT(*) FROM pg_replication_slots) > 0
    THEN 'log'
    ELSE NULL
END as type
""", "simple"),
    Statement("pgadmin", "browser: databases", """
SELECT
    db.oid as did, db.datname as name, ta.spcname as spcname, db.datallowconn,
    db.datistemplate AS is_template,
    pg_catalog.has_database_privilege(db.oid, 'CREATE') as cancreate, datdba as owner,
    descr.description
FROM
    pg_catalog.pg_database db
    LEFT OUTER JOIN pg_catalog.pg_tablespace ta ON db.dattablespace = ta.oid
    LEFT OUTER JOIN pg_catalog.pg_shdescription descr ON (
        db.oid=descr.objoid AND descr.classoid='pg_database'::regclass
    )
WHERE
    db.oid > 16383::OID OR db.datname IN ('postgres', 'edb')

ORDER BY datname
""", "simple"),
    Statement("pgadmin", "browser: schemas", """
SELECT
    nsp.oid,
    nsp.nspname as name,
    pg_catalog.has_schema_privilege(nsp.oid, 'CREATE') as can_create,
    pg_catalog.has_schema_privilege(nsp.oid, 'USAGE') as has_usage,
    des.description
FROM
    pg_catalog.pg_namespace nsp
    LEFT OUTER JOIN pg_catalog.pg_description des ON
        (des.objoid=nsp.oid AND des.classoid='pg_namespace'::regclass)
WHERE
     nspname NOT LIKE E'pg\\\\_%' AND
    NOT (
    (nsp.nspname = 'pg_catalog' AND EXISTS
        (SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'pg_class' AND
            relnamespace = nsp.oid LIMIT 1)) OR
    (nsp.nspname = 'pgagent' AND EXISTS
        (SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'pga_job' AND
            relnamespace = nsp.oid LIMIT 1)) OR
    (nsp.nspname = 'information_schema' AND EXISTS
        (SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'tables' AND
            relnamespace = nsp.oid LIMIT 1))
    )
ORDER BY nspname
""", "simple", expect=returns("public")),
    Statement("pgadmin", "browser: tables", """
SELECT rel.oid, rel.relname AS name,
    (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid=rel.oid AND tgisinternal = FALSE) AS triggercount,
    (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid=rel.oid AND tgisinternal = FALSE AND tgenabled = 'O') AS has_enable_triggers,
    (CASE WHEN rel.relkind = 'p' THEN true ELSE false END) AS is_partitioned,
    (SELECT count(1) FROM pg_catalog.pg_inherits WHERE inhrelid=rel.oid LIMIT 1) as is_inherits,
    (SELECT count(1) FROM pg_catalog.pg_inherits WHERE inhparent=rel.oid LIMIT 1) as is_inherited,
    des.description
FROM pg_catalog.pg_class rel
    LEFT OUTER JOIN pg_catalog.pg_description des ON (des.objoid=rel.oid AND des.objsubid=0 AND des.classoid='pg_class'::regclass)
    WHERE rel.relkind IN ('r','s','t','p') AND rel.relnamespace = {public_oid}::oid
    AND NOT rel.relispartition
    ORDER BY rel.relname
""", "simple", expect=returns(*TABLES)),
    Statement("pgadmin", "browser: views", """
SELECT
    c.oid,
    c.relname AS name,
    description AS comment
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description des ON (des.objoid=c.oid and des.objsubid=0 AND des.classoid='pg_class'::regclass)
WHERE
  c.relkind = 'v'
    AND c.relnamespace = {public_oid}::oid
ORDER BY
    c.relname
""", "simple", expect=returns(*VIEWS)),
    Statement("pgadmin", "browser: columns of ledger", """
SELECT DISTINCT att.attname as name, att.attnum as OID, pg_catalog.format_type(ty.oid,NULL) AS datatype,
pg_catalog.format_type(ty.oid,att.atttypmod) AS displaytypname,
att.attnotnull as not_null,
CASE WHEN att.atthasdef OR att.attidentity != '' OR ty.typdefault IS NOT NULL THEN True
ELSE False END as has_default_val, des.description, seq.seqtypid
FROM pg_catalog.pg_attribute att
    JOIN pg_catalog.pg_type ty ON ty.oid=atttypid
    JOIN pg_catalog.pg_namespace tn ON tn.oid=ty.typnamespace
    JOIN pg_catalog.pg_class cl ON cl.oid=att.attrelid
    JOIN pg_catalog.pg_namespace na ON na.oid=cl.relnamespace
    LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=ty.typelem
    LEFT OUTER JOIN pg_catalog.pg_attrdef def ON adrelid=att.attrelid AND adnum=att.attnum
    LEFT OUTER JOIN (pg_catalog.pg_depend JOIN pg_catalog.pg_class cs ON classid='pg_class'::regclass AND objid=cs.oid AND cs.relkind='S') ON refobjid=att.attrelid AND refobjsubid=att.attnum
    LEFT OUTER JOIN pg_catalog.pg_namespace ns ON ns.oid=cs.relnamespace
    LEFT OUTER JOIN pg_catalog.pg_index pi ON pi.indrelid=att.attrelid AND indisprimary
    LEFT OUTER JOIN pg_catalog.pg_description des ON (des.objoid=att.attrelid AND des.objsubid=att.attnum AND des.classoid='pg_class'::regclass)
    LEFT OUTER JOIN pg_catalog.pg_sequence seq ON cs.oid=seq.seqrelid
WHERE
    att.attrelid = {ledger_oid}::oid
    AND att.attnum > 0
    AND att.attisdropped IS FALSE
ORDER BY att.attnum
""", "simple", expect=returns(*LEDGER_KEY, "amount_yuan")),

    # --- DBeaver 25.1 (over pgjdbc) ----------------------------------------------------------
    Statement("dbeaver", "connect: schema and user", "SELECT current_schema(),session_user", "extended"),
    Statement("dbeaver", "schemas", "SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass ORDER BY nspname", "extended", expect=returns("public")),
    Statement("dbeaver", "array type 1034", "SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1034", "extended"),
    Statement("dbeaver", "array type 1034 (pgjdbc)", "SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = 1034  ORDER BY sp.r, pg_type.oid DESC", "extended"),
    Statement("dbeaver", "search_path", "SHOW search_path", "extended"),
    Statement("dbeaver", "database", "SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname='datafusion'", "extended", expect=returns("datafusion")),
    Statement("dbeaver", "standard_conforming_strings", "SELECT * FROM pg_catalog.pg_settings where name='standard_conforming_strings'", "extended", expect=returns("on")),
    Statement("dbeaver", "version", "SELECT version()", "extended"),
    Statement("dbeaver", "enum probe", "SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1", "extended"),
    Statement("dbeaver", "reltype probe", "SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1", "extended"),
    Statement("dbeaver", "data types", "SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid WHERE t.typname IS NOT NULL AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')", "extended", expect=returns("numeric")),
    Statement("dbeaver", "tables of public", """SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key
    FROM pg_catalog.pg_class c
    LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
    WHERE c.relnamespace={public_oid} AND c.relkind not in ('i','I','c')""", "extended", expect=returns(*TABLES, *VIEWS)),
    Statement("dbeaver", "relation sizes", """select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size
     FROM pg_class c
     WHERE c.relnamespace={public_oid}""", "extended"),
    Statement("dbeaver", "indexes of ledger", """SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans FROM pg_catalog.pg_index i
    INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
    INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
    LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
    WHERE  i.indrelid={ledger_oid} ORDER BY tabrelname, c.relname""", "extended"),
    Statement("dbeaver", "constraints of ledger", """SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
    FROM pg_catalog.pg_constraint c
    INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
    LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
    LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
    WHERE c.conrelid={ledger_oid}
    ORDER BY c.oid""", "extended"),

    # --- Metabase 0.55 (over pgjdbc) --------------------------------------------------------
    Statement("metabase", "isolation level", "SHOW TRANSACTION ISOLATION LEVEL", "extended"),
    Statement("metabase", "schemas", '''SELECT nspname AS "TABLE_SCHEM", current_database() AS "TABLE_CATALOG" FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY "TABLE_SCHEM"''', "extended", expect=returns("public")),
    Statement("metabase", "tables and views", """SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = '0') AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ '^pg_') AND ("n"."nspname" <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ('public')) ORDER BY "type" ASC, "schema" ASC, "name" ASC""", "extended", expect=returns(*TABLES, *VIEWS)),
    Statement("metabase", "time zone", "show timezone", "extended"),

    # --- pgcli 4.7 ------------------------------------------------------------------------------
    Statement("pgcli", 'search_path', """
SELECT * FROM unnest(current_schemas(true))
""", 'simple'),
    Statement("pgcli", 'schemata', """
SELECT  nspname
FROM    pg_catalog.pg_namespace
ORDER BY 1
""", 'simple'),
    Statement("pgcli", 'tables', """
SELECT  n.nspname schema_name,
        c.relname table_name
FROM    pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_namespace n
            ON n.oid = c.relnamespace
WHERE   c.relkind = ANY($1)
ORDER BY 1,2;
""", 'extended', params=['{r,p,f}']),
    Statement("pgcli", 'table_columns', """
SELECT  nsp.nspname schema_name,
        cls.relname table_name,
        att.attname column_name,
        att.atttypid::regtype::text type_name,
        att.atthasdef AS has_default,
        pg_catalog.pg_get_expr(def.adbin, def.adrelid, true) as default
FROM    pg_catalog.pg_attribute att
        INNER JOIN pg_catalog.pg_class cls
            ON att.attrelid = cls.oid
        INNER JOIN pg_catalog.pg_namespace nsp
            ON cls.relnamespace = nsp.oid
        LEFT OUTER JOIN pg_attrdef def
            ON def.adrelid = att.attrelid
            AND def.adnum = att.attnum
WHERE   cls.relkind = ANY($1)
        AND NOT att.attisdropped
        AND att.attnum  > 0
ORDER BY 1, 2, att.attnum
""", 'extended', params=['{r,p,f}']),
    Statement("pgcli", 'foreignkeys', """
SELECT s_p.nspname AS parentschema,
       t_p.relname AS parenttable,
       unnest((
        select
            array_agg(attname ORDER BY i)
        from
            (select unnest(confkey) as attnum, generate_subscripts(confkey, 1) as i) x
            JOIN pg_catalog.pg_attribute c USING(attnum)
            WHERE c.attrelid = fk.confrelid
        )) AS parentcolumn,
       s_c.nspname AS childschema,
       t_c.relname AS childtable,
       unnest((
        select
            array_agg(attname ORDER BY i)
        from
            (select unnest(conkey) as attnum, generate_subscripts(conkey, 1) as i) x
            JOIN pg_catalog.pg_attribute c USING(attnum)
            WHERE c.attrelid = fk.conrelid
        )) AS childcolumn
FROM pg_catalog.pg_constraint fk
JOIN pg_catalog.pg_class      t_p ON t_p.oid = fk.confrelid
JOIN pg_catalog.pg_namespace  s_p ON s_p.oid = t_p.relnamespace
JOIN pg_catalog.pg_class      t_c ON t_c.oid = fk.conrelid
JOIN pg_catalog.pg_namespace  s_c ON s_c.oid = t_c.relnamespace
WHERE fk.contype = 'f';
""", 'simple'),
    Statement("pgcli", 'views', """
SELECT  n.nspname schema_name,
        c.relname table_name
FROM    pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_namespace n
            ON n.oid = c.relnamespace
WHERE   c.relkind = ANY($1)
ORDER BY 1,2;
""", 'extended', params=['{v,m}']),
    Statement("pgcli", 'view_columns', """
SELECT  nsp.nspname schema_name,
        cls.relname table_name,
        att.attname column_name,
        att.atttypid::regtype::text type_name,
        att.atthasdef AS has_default,
        pg_catalog.pg_get_expr(def.adbin, def.adrelid, true) as default
FROM    pg_catalog.pg_attribute att
        INNER JOIN pg_catalog.pg_class cls
            ON att.attrelid = cls.oid
        INNER JOIN pg_catalog.pg_namespace nsp
            ON cls.relnamespace = nsp.oid
        LEFT OUTER JOIN pg_attrdef def
            ON def.adrelid = att.attrelid
            AND def.adnum = att.attnum
WHERE   cls.relkind = ANY($1)
        AND NOT att.attisdropped
        AND att.attnum  > 0
ORDER BY 1, 2, att.attnum
""", 'extended', params=['{v,m}']),
    Statement("pgcli", 'datatypes', """
SELECT n.nspname schema_name,
       t.typname type_name
FROM   pg_catalog.pg_type t
       INNER JOIN pg_catalog.pg_namespace n
          ON n.oid = t.typnamespace
WHERE ( t.typrelid = 0  -- non-composite types
        OR (  -- composite type, but not a table
              SELECT c.relkind = 'c'
              FROM pg_catalog.pg_class c
              WHERE c.oid = t.typrelid
            )
      )
      AND NOT EXISTS( -- ignore array types
            SELECT  1
            FROM    pg_catalog.pg_type el
            WHERE   el.oid = t.typelem AND el.typarray = t.oid
          )
      AND n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
ORDER BY 1, 2;
""", 'simple'),
    Statement("pgcli", 'databases', """
SELECT d.datname
FROM pg_catalog.pg_database d
ORDER BY 1
""", 'simple'),
    Statement("pgcli", 'functions', """
SELECT n.nspname schema_name,
        p.proname func_name,
        p.proargnames,
        COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[],
        p.proargmodes,
        prorettype::regtype::text return_type,
        p.prokind = 'a' is_aggregate,
        p.prokind = 'w' is_window,
        p.proretset is_set_returning,
        d.deptype = 'e' is_extension,
        pg_get_expr(proargdefaults, 0) AS arg_defaults
FROM pg_catalog.pg_proc p
        INNER JOIN pg_catalog.pg_namespace n
            ON n.oid = p.pronamespace
LEFT JOIN pg_depend d ON d.objid = p.oid and d.deptype = 'e'
WHERE p.prorettype::regtype != 'trigger'::regtype
ORDER BY 1, 2
""", 'simple'),
    Statement("pgcli", '\\dt', """
SELECT n.nspname as schema,
                    c.relname as name,
                    CASE c.relkind
                      WHEN 'r' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'p' THEN 'partitioned table'
                      WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index'
                      WHEN 'S' THEN 'sequence' WHEN 's' THEN 'special'
                      WHEN 'f' THEN 'foreign table' END
                    as type,
                    pg_catalog.pg_get_userbyid(c.relowner) as owner

            FROM    pg_catalog.pg_class c
                    LEFT JOIN pg_catalog.pg_namespace n
                      ON n.oid = c.relnamespace
            WHERE   c.relkind = ANY('{r,p,""}')

            AND n.nspname <> 'pg_catalog'
            AND n.nspname <> 'information_schema'
            AND n.nspname !~ '^pg_toast'
            AND pg_catalog.pg_table_is_visible(c.oid)

            ORDER BY 1, 2
""", 'simple'),
    Statement("pgcli", '\\dv', """
SELECT n.nspname as schema,
                    c.relname as name,
                    CASE c.relkind
                      WHEN 'r' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'p' THEN 'partitioned table'
                      WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index'
                      WHEN 'S' THEN 'sequence' WHEN 's' THEN 'special'
                      WHEN 'f' THEN 'foreign table' END
                    as type,
                    pg_catalog.pg_get_userbyid(c.relowner) as owner

            FROM    pg_catalog.pg_class c
                    LEFT JOIN pg_catalog.pg_namespace n
                      ON n.oid = c.relnamespace
            WHERE   c.relkind = ANY('{v,s,""}')

            AND n.nspname <> 'pg_catalog'
            AND n.nspname <> 'information_schema'
            AND n.nspname !~ '^pg_toast'
            AND pg_catalog.pg_table_is_visible(c.oid)

            ORDER BY 1, 2
""", 'simple'),
    Statement("pgcli", '\\d budget_execution (find)', """
SELECT c.oid, n.nspname, c.relname
             FROM pg_catalog.pg_class c
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relname OPERATOR(pg_catalog.~) $1
             ORDER BY 2,3
""", 'extended', params=['^(budget_execution)$']),
    Statement("pgcli", '\\d budget_execution (relation)', """
SELECT c.relchecks, c.relkind, c.relhasindex,
                    c.relhasrules, c.relhastriggers, false as relhasoids,
                    '',
                    c.reltablespace,
                    CASE WHEN c.reloftype = 0 THEN ''
                        ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text
                    END,
                    c.relpersistence,
                    c.relispartition
                 FROM pg_catalog.pg_class c
                 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
                 WHERE c.oid = '{budget_execution_oid}'
""", 'simple'),
    Statement("pgcli", '\\d budget_execution (columns)', """
SELECT a.attname,
    pg_catalog.format_type(a.atttypid, a.atttypmod)
    , (SELECT substring(pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) for 128)
                     FROM pg_catalog.pg_attrdef d
                     WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef)
                    , a.attnotnull,
(SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
                    WHERE c.oid = a.attcollation
                    AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated,
 NULL AS indexdef, NULL AS attfdwoptions FROM pg_catalog.pg_attribute a WHERE a.attrelid = '{budget_execution_oid}' AND
    a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum;
""", 'simple'),
    Statement("pgcli", '\\l', """
SELECT d.datname as name,
        pg_catalog.pg_get_userbyid(d.datdba) as owner,
        pg_catalog.pg_encoding_to_char(d.encoding) as encoding,
        d.datcollate as collate,
        d.datctype as ctype,
        pg_catalog.array_to_string(d.datacl, E'
') AS access_privileges

        FROM pg_catalog.pg_database d


        ORDER BY 1
""", 'simple'),
    Statement("pgcli", '\\dn', """
SELECT n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner

              FROM pg_catalog.pg_namespace n WHERE n.nspname
                !~ '^pg_' AND n.nspname <> 'information_schema'
              ORDER BY 1
""", 'simple'),
]

# Run after everything else: reading pg_roles has crashed the whole server (stack overflow),
# which would hide every later result.
LAST_STATEMENTS = [
    Statement("dbeaver", "roles", "SELECT a.oid,a.* FROM pg_catalog.pg_roles a ORDER BY a.oid", "extended"),
]

OID_LOOKUPS = {
    "public_oid": "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'",
    "ledger_oid": "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                  "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'ledger'",
    "budget_execution_oid": "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                            "AND c.relname = 'budget_execution'",
}


class Report:
    def __init__(self, verbose):
        self.verbose, self.passed, self.failed, self.gaps = verbose, 0, 0, 0

    def ok(self, client, call, detail="", known_gap=None):
        self.passed += 1
        reminder = " (listed as a known gap, which it no longer is: remove the mark)" if known_gap else ""
        print(f"ok: {client}: {call}" + (f": {detail}" if detail else "") + reminder)

    def fail(self, client, call, error, sql=None, known_gap=None):
        if known_gap:
            self.gaps += 1
            print(f"KNOWN GAP: {client}: {call}: {known_gap}: {one_line(error)[:200]}")
            return
        self.failed += 1
        print(f"FAILED: {client}: {call}: {one_line(error)}")
        if sql:
            print("  sql:", sql.strip() if self.verbose else one_line(sql)[:300])


def first_comment(path):
    """The text of a SQL file's first line, a `--` comment (its description starts so)."""
    with open(path, encoding="utf-8") as f:
        return f.readline().strip().lstrip("-").strip()


def first_query_line(path):
    """The first line of a SQL file that is not a comment."""
    with open(path, encoding="utf-8") as f:
        return next(line.strip() for line in f if line.strip() and not line.lstrip().startswith("--"))


def one_line(text):
    return re.sub(r"\s+", " ", str(text)).strip()


# --- replayed statements -------------------------------------------------------------------

def execute(pgconn, statement, sql):
    """Runs one statement as its client sends it; (rows, None) or (None, error)."""
    if statement.protocol == "simple":
        result = pgconn.exec_(sql.encode())
    else:
        params = [None if p is None else str(p).encode() for p in statement.params]
        result = pgconn.exec_params(sql.encode(), params)
    if result.status == pq.ExecStatus.FATAL_ERROR:
        return None, (result.error_message or b"").decode(errors="replace")
    rows = [
        [None if result.get_value(r, c) is None else result.get_value(r, c).decode(errors="replace")
         for c in range(result.nfields)]
        for r in range(result.ntuples)
    ]
    return rows, None


def lookup_oids(pgconn):
    oids = {}
    for name, sql in OID_LOOKUPS.items():
        rows, _ = execute(pgconn, Statement("", "", sql), sql)
        if rows:
            oids[name] = rows[0][0]
    return oids


def replay(args, report, statements):
    conninfo = dict(host=args.host, port=args.port, user=args.user, password=args.password,
                    dbname="datafusion", autocommit=True, connect_timeout=10)
    with psycopg.connect(**conninfo) as conn:
        pgconn = conn.pgconn
        oids = lookup_oids(pgconn)
        for statement in statements:
            if args.client and statement.client != args.client:
                continue
            sql = statement.sql
            missing = [name for name in OID_LOOKUPS if "{" + name + "}" in sql and name not in oids]
            if missing:
                report.fail(statement.client, statement.call, f"could not look up {missing}", sql)
                continue
            for name, oid in oids.items():
                sql = sql.replace("{" + name + "}", oid)
            rows, error = execute(pgconn, statement, sql)
            if error is None and statement.expect is not None:
                error = statement.expect(rows)
                if error:
                    error = f"answered {len(rows)} rows, which {error}"
            if error is None:
                report.ok(statement.client, statement.call, f"{len(rows)} rows", statement.known_gap)
            else:
                report.fail(statement.client, statement.call, error, sql, statement.known_gap)


# --- SQLAlchemy, live ------------------------------------------------------------------------

def sqlalchemy_inspector(args, report):
    """Superset's path: connect (SQLAlchemy reads "PostgreSQL x.y" from version()), then reflect."""
    if args.client and args.client != "sqlalchemy":
        return
    engine = sqlalchemy.create_engine(
        f"postgresql+psycopg://{args.user}:{args.password}@{args.host}:{args.port}/datafusion",
        connect_args={"connect_timeout": 10},
    )
    sent = []

    @sqlalchemy.event.listens_for(engine, "before_cursor_execute")
    def remember(conn, cursor, statement, parameters, context, executemany):
        sent[:] = [statement if not parameters else f"{statement}\n  -- parameters: {parameters}"]

    def ledger_key(pk):
        return None if pk["constrained_columns"] == LEDGER_KEY else f"primary key {pk}"

    def money_is_numeric(columns):
        types = {c["name"]: c["type"] for c in columns}
        for name in ("budget_wan", "actual_wan", "execution_rate"):
            if not isinstance(types.get(name), sqlalchemy.Numeric) or isinstance(types.get(name), sqlalchemy.Float):
                return f"{name} reflects as {types.get(name)!r}"
        return None

    def contains(*names):
        return lambda found: None if set(names) <= set(found) else f"lacks {sorted(set(names) - set(found))} in {found}"

    calls = [
        ("connect (server version)", lambda i: engine.dialect.server_version_info, None),
        ("get_schema_names", lambda i: i.get_schema_names(), contains("public")),
        ("get_table_names", lambda i: i.get_table_names(schema="public"), contains(*TABLES)),
        ("get_view_names", lambda i: i.get_view_names(schema="public"), contains(*VIEWS)),
        ("get_columns budget_execution", lambda i: i.get_columns("budget_execution", schema="public"), money_is_numeric),
        ("get_columns ledger", lambda i: i.get_columns("ledger", schema="public"), None),
        ("get_pk_constraint ledger", lambda i: i.get_pk_constraint("ledger", schema="public"), ledger_key),
        ("get_foreign_keys ledger", lambda i: i.get_foreign_keys("ledger", schema="public"),
         lambda fks: None if fks == [] else f"foreign keys {fks}"),
        ("get_indexes ledger", lambda i: i.get_indexes("ledger", schema="public"), None),
        ("get_unique_constraints ledger", lambda i: i.get_unique_constraints("ledger", schema="public"), None),
        ("get_check_constraints ledger", lambda i: i.get_check_constraints("ledger", schema="public"), None),
        ("get_table_comment ledger", lambda i: i.get_table_comment("ledger", schema="public"),
         lambda c: None if (c["text"] or "").startswith(first_comment("sql/tables/ledger.sql"))
         else f"comment {c}, sql/tables/ledger.sql starts {first_comment('sql/tables/ledger.sql')!r}"),
        ("get_view_definition budget_execution",
         lambda i: i.get_view_definition("budget_execution", schema="public"),
         lambda d: None if d and first_query_line("sql/views/budget_execution/v1.sql") in d
         else f"definition {d!r} lacks the view file's query"),
        ("has_table ledger", lambda i: i.has_table("ledger", schema="public"),
         lambda found: None if found else "has_table says no"),
    ]
    try:
        with engine.connect():
            pass
    except Exception as error:  # the dialect's own start-up statements
        report.fail("sqlalchemy", "connect", error, sent[0] if sent else None)
        return
    for call, run, check in calls:
        sent.clear()
        try:
            found = run(sqlalchemy.inspect(engine))  # a fresh Inspector: no cached answers
            problem = check(found) if check else None
        except Exception as error:  # the driver's or the dialect's error, reported as it is
            report.fail("sqlalchemy", call, error, sent[0] if sent else None)
            continue
        if problem:
            report.fail("sqlalchemy", call, problem, sent[0] if sent else None)
        else:
            report.ok("sqlalchemy", call, one_line(repr(found))[:100])
    engine.dispose()


# --- psql, live ------------------------------------------------------------------------------

PSQL_COMMANDS = [
    ("\\d", ["ledger", "budget_execution"]),
    ("\\dt", TABLES),
    ("\\dv", VIEWS),
    ("\\d budget_execution", ["execution_rate", "numeric"]),
    ("\\d+ budget_execution", ["execution_rate", "numeric", "View definition"]),
    ("\\d ledger", LEDGER_KEY + ["amount_yuan", '"ledger_pkey" PRIMARY KEY, btree (region_code, year, fund_code, item_code, scenario)']),
    ("\\l", ["datafusion"]),
    ("\\dn", ["public"]),
    ("\\du", []),
]


def psql_meta_commands(args, report):
    if args.client and args.client != "psql":
        return
    for command, expected in PSQL_COMMANDS:
        out = subprocess.run(
            ["psql", "-X", "-E", "-h", args.host, "-p", str(args.port), "-U", args.user,
             "-d", "datafusion", "-v", "ON_ERROR_STOP=1", "-c", command],
            capture_output=True, text=True, env={"PGPASSWORD": args.password, "PGCONNECT_TIMEOUT": "10",
                                                "PATH": "/usr/bin:/bin:/usr/local/bin"},
        )
        queries = re.findall(r"\*{9} QUERY \*{10}\n(.*?)\n\*{26}", out.stdout, re.S)
        if out.returncode != 0:
            report.fail("psql", command, out.stderr.strip(), queries[-1] if queries else None)
            continue
        missing = [name for name in expected if name not in out.stdout]
        if missing:
            report.fail("psql", command, f"output lacks {missing}", queries[-1] if queries else None)
        else:
            report.ok("psql", command, f"{len(queries)} queries")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("user", nargs="?", default="fundq")
    parser.add_argument("password", nargs="?", default="")
    parser.add_argument("--client", help="only this client (npgsql, grafana, pgadmin, dbeaver, "
                        "metabase, psqlodbc, pgcli, sqlalchemy, psql)")
    parser.add_argument("--verbose", action="store_true", help="print whole statements of failures")
    args = parser.parse_args()
    report = Report(args.verbose)
    replay(args, report, STATEMENTS)
    sqlalchemy_inspector(args, report)
    psql_meta_commands(args, report)
    try:
        replay(args, report, LAST_STATEMENTS)
    except psycopg.OperationalError as error:  # the server is gone
        report.fail("server", "after the last statements", error)
    gaps = f" ({report.gaps} known gap(s))" if report.gaps else ""
    print(f"catalog replay: {report.passed} of {report.passed + report.failed + report.gaps} calls "
          f"ran as the client expects{gaps}")
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
