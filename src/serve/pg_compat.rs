//! Rewrites of the statements Postgres clients send that DataFusion cannot plan as sent, where
//! fundq's catalog decides the answer. Every other statement passes as it was sent (borrowed,
//! byte for byte).
//!
//! Each rewrite is exact for fundq's catalog and names, in its doc comment, the clients and the
//! statement shape it is for:
//! - [`per_column`]: SQLAlchemy's per-column default, identity and collation lookups → NULL;
//! - [`subqueries`]: `ARRAY(subquery)` (psql `\du`, `\d+`), correlated scalar lookups without an
//!   aggregate (pgjdbc `getTypeInfo`, Npgsql type loading);
//! - [`select_list`]: set-returning functions in a select list (`generate_series`,
//!   `generate_subscripts`, `information_schema._pg_expandarray`: pgjdbc, psqlODBC,
//!   SQLAlchemy), `(composite).field`, and repeated unnamed columns (pgjdbc `getProcedures`,
//!   psqlODBC's schema list);
//! - [`operators`]: `int2vector` subscripts from 0 (psqlODBC), booleans written `'t'`
//!   (psqlODBC), `regproc` columns (Npgsql, pgjdbc), `LIKE … ESCAPE` (SQLAlchemy), unqualified
//!   `'pg_class'::regclass` (pgjdbc, pgAdmin, DBeaver);
//! - [`role_members`]: a recursive walk up role memberships (pgAdmin's connect) is its start;
//! - [`show`]: `SHOW` of a server setting reads fundq's `pg_settings`.
//!
//! datafusion-postgres' own compatibility rules run afterwards, on the rewritten text. A
//! statement datafusion-postgres replaces as a whole (its answers to a few client statements
//! DataFusion cannot plan at all, such as psql's row-policy query or pgcli's foreign keys, all
//! empty in fundq's catalog) is left as sent, so that its replacement still matches.

mod operators;
mod per_column;
mod role_members;
mod select_list;
mod show;
mod subqueries;

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{Expr, ObjectName, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

/// One rewrite: changes the statement in place and says whether it did.
type Rewrite = fn(&mut Statement) -> bool;

/// In order: a later rewrite sees what an earlier one made (an `ARRAY(…)` turned into an
/// aggregate is no longer a lookup to wrap; set-returning functions are wrapped before repeated
/// names are counted).
const REWRITES: [Rewrite; 6] = [
    show::rewrite,
    per_column::rewrite,
    role_members::rewrite,
    subqueries::rewrite,
    select_list::rewrite,
    operators::rewrite,
];

/// `sql` with the shapes above rewritten; unchanged (borrowed) when it has none, or does not
/// parse (the server then reports the parse error as usual).
pub fn rewrite(sql: &str) -> Cow<'_, str> {
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Cow::Borrowed(sql);
    };
    let mut changed = false;
    for statement in &mut statements {
        for rewrite in REWRITES {
            changed |= rewrite(statement);
        }
    }
    if !changed || replaced_by_datafusion_postgres(sql) {
        return Cow::Borrowed(sql);
    }
    let rewritten: Vec<String> = statements.iter().map(ToString::to_string).collect();
    Cow::Owned(rewritten.join("; "))
}

/// Whether datafusion-postgres replaces (part of) `sql` with a statement of its own: its
/// parser's answer differs from its rules applied to `sql` as written.
fn replaced_by_datafusion_postgres(sql: &str) -> bool {
    static PARSER: LazyLock<PostgresCompatibilityParser> =
        LazyLock::new(PostgresCompatibilityParser::new);
    let (Ok(replaced), Ok(written)) = (
        PARSER.parse(sql),
        Parser::parse_sql(&PostgreSqlDialect {}, sql),
    ) else {
        return false;
    };
    let written = written.into_iter().map(|s| PARSER.rewrite(s).to_string());
    let replaced = replaced.iter().map(ToString::to_string);
    !replaced.eq(written)
}

/// Parses one expression written in Postgres' dialect; `None` if it does not parse (a rewrite
/// then leaves the statement as it was).
fn parse_expr(text: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_expr())
        .ok()
}

/// The last part of a (possibly schema-qualified) name, lower-cased: `information_schema.
/// _pg_expandarray` → `_pg_expandarray`.
fn last_name(name: &ObjectName) -> Option<String> {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.value.to_ascii_lowercase())
}

/// The column a plain or qualified column reference names, lower-cased: `i.indkey` → `indkey`.
fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(ident.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The name of the function `expr` calls, lower-cased and without its schema.
fn function_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Function(function) => last_name(&function.name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_statements_pass_unchanged() {
        for sql in [
            "SELECT * FROM budget_execution WHERE year = $1",
            "SELECT CASE WHEN x THEN (SELECT 1 FROM pg_type) END FROM t",
            "SELECT (SELECT collname FROM pg_collation LIMIT 1)",
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
            "SELECT a, b, NULL AS x, NULL AS y FROM t WHERE name LIKE 'pg\\_%'",
            "SHOW search_path",
            "-- ping",
            "not sql at all",
        ] {
            assert!(matches!(rewrite(sql), Cow::Borrowed(_)), "{sql}");
        }
    }

    #[test]
    fn statements_datafusion_postgres_replaces_stay_as_sent() {
        // psql's `\d table` row-policy query (datafusion-postgres answers it with no rows).
        let sql = "SELECT pol.polname, pol.polpermissive,
          CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
          pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
          pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
          CASE pol.polcmd
            WHEN 'r' THEN 'SELECT'
            WHEN 'a' THEN 'INSERT'
            WHEN 'w' THEN 'UPDATE'
            WHEN 'd' THEN 'DELETE'
            END AS cmd
        FROM pg_catalog.pg_policy pol
        WHERE pol.polrelid = '16479' ORDER BY 1;";
        assert!(matches!(rewrite(sql), Cow::Borrowed(_)));
    }

    #[test]
    fn every_statement_of_a_batch_is_rewritten() {
        let rewritten =
            rewrite("SET DateStyle = 'ISO'; SELECT NULL, nspname, NULL FROM pg_namespace");
        assert!(
            rewritten.starts_with("SET DateStyle = 'ISO'; SELECT"),
            "{rewritten}"
        );
        assert!(rewritten.contains("AS \"?column?3\""), "{rewritten}");
    }
}
