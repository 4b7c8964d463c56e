//! Select lists written for Postgres' set-returning functions and composite values, and
//! select lists with repeated unnamed columns.
//!
//! - `generate_series(a, b)` as a select item returns one row per value in Postgres, one row
//!   holding a list in DataFusion: it becomes `unnest(generate_series(a, b))` (psqlODBC's
//!   `SQLForeignKeys`: `generate_series(array_lower(conkey, 1), array_upper(conkey, 1)) AS i`).
//! - `generate_subscripts(a, 1)` (SQLAlchemy's key and index reflection, beside
//!   `unnest(pg_index.indkey)`) becomes `unnest(generate_series(…))` over the subscripts of `a`:
//!   from 0 for the `int2vector` and `oidvector` columns of `pg_index`, from 1 for arrays.
//! - `information_schema._pg_expandarray(a)` (pgjdbc's `getPrimaryKeys` and `getIndexInfo`)
//!   returns a row `(x, n)` per element in Postgres; it becomes `unnest(_pg_expandarray(a))`
//!   over fundq's function of that name, which lists `{x, n}` structs.
//! - `(value).field`, Postgres' field of a composite value (pgjdbc's `(result.KEYS).x`), becomes
//!   `value['field']`, DataFusion's field of a struct.
//! - `pg_index.indkey`, `indoption`, `indclass` and `indcollation` are `int2vector` and
//!   `oidvector` in Postgres, printed `1 2 3`; here they are lists, printed `{1,2,3}`. Clients
//!   that receive them split the text on spaces (psqlODBC's `SQLStatistics`, SQLAlchemy's
//!   index reflection over psycopg), and psqlODBC loops past its buffer on the braces. One of
//!   these columns selected as it is by the outermost query becomes `array_to_string(column,
//!   ' ')` under the column's name; inside the statement (subscripts, `unnest`) it stays a list.
//! - psqlODBC's `SQLStatistics` (`select c.relname, i.indkey, i.indisunique, i.indisclustered,
//!   a.amname, c.relhasrules, … from pg_catalog.pg_index i, …`) binds `indkey` to an array of
//!   shorts, which the driver fills only from a column of Postgres' type `int2vector` (OID 22);
//!   from any other type it copies characters and reads past its buffer, crashing the client
//!   (Excel, Power BI). arrow-pg 0.16 cannot send OID 22, so this one statement answers no rows:
//!   `SQLStatistics` lists no index, as before fundq had keys in its catalog (a known gap;
//!   `SQLPrimaryKeys` lists the key).
//! - DataFusion needs distinct column names; Postgres does not (pgjdbc `getProcedures` selects
//!   `NULL, NULL, NULL`, psqlODBC's schema list `NULL, nspname, NULL`). A repeated unnamed item
//!   after the first is named `?column?N` (N its position); drivers read these by position.

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Select, SelectItem,
    SetExpr, Statement, Subscript, Value, VisitMut, VisitorMut, visit_expressions_mut,
};

use super::{column_name, function_name, parse_expr};

/// `pg_index` columns of type `int2vector` or `oidvector`, whose subscripts start at 0.
pub(super) const VECTOR_COLUMNS: [&str; 4] = ["indkey", "indclass", "indcollation", "indoption"];

/// Rewrites the shapes above in `statement`; true when there was one.
pub fn rewrite(statement: &mut Statement) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(statement, |expr| {
        if let Some(rewritten) = expanded_array(expr).or_else(|| struct_field(expr)) {
            *expr = rewritten;
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    let mut selects = SelectLists { changed: false };
    let _ = statement.visit(&mut selects);
    let without_rows = psqlodbc_statistics(statement);
    let printed = print_vectors(statement);
    changed || selects.changed || without_rows || printed
}

/// The select list psqlODBC's `SQLStatistics` starts with.
const PSQLODBC_STATISTICS: [&str; 6] = [
    "c.relname",
    "i.indkey",
    "i.indisunique",
    "i.indisclustered",
    "a.amname",
    "c.relhasrules",
];

/// psqlODBC's index query with `AND false` added to its condition.
fn psqlodbc_statistics(statement: &mut Statement) -> bool {
    let Statement::Query(query) = statement else {
        return false;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    let starts_so = select.projection.len() >= PSQLODBC_STATISTICS.len()
        && select
            .projection
            .iter()
            .zip(PSQLODBC_STATISTICS)
            .all(|(item, expected)| item.to_string().eq_ignore_ascii_case(expected));
    if !starts_so {
        return false;
    }
    let condition = match &select.selection {
        Some(condition) => format!("({condition}) AND false"),
        None => "false".to_string(),
    };
    select.selection = parse_expr(&condition);
    true
}

/// The vector columns the outermost SELECT lists as they are, as Postgres prints them.
fn print_vectors(statement: &mut Statement) -> bool {
    let Statement::Query(query) = statement else {
        return false;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    let mut changed = false;
    for item in &mut select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
            _ => continue,
        };
        if !matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            continue;
        }
        let Some(column) = column_name(expr).filter(|c| VECTOR_COLUMNS.contains(&c.as_str()))
        else {
            continue;
        };
        let Some(printed) = parse_expr(&format!("array_to_string({expr}, ' ')")) else {
            continue;
        };
        *item = SelectItem::ExprWithAlias {
            expr: printed,
            alias: alias.unwrap_or_else(|| Ident::new(column)),
        };
        changed = true;
    }
    changed
}

struct SelectLists {
    changed: bool,
}

impl VisitorMut for SelectLists {
    type Break = ();

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        self.changed |= unnest_set_returning(select);
        self.changed |= name_repeated_items(select);
        ControlFlow::Continue(())
    }
}

/// `_pg_expandarray(a)`, set-returning, as `unnest(_pg_expandarray(a))`.
fn expanded_array(expr: &Expr) -> Option<Expr> {
    if function_name(expr)?.as_str() != "_pg_expandarray" {
        return None;
    }
    parse_expr(&format!("unnest(_pg_expandarray({}))", arguments(expr)?))
}

/// `(value).field` as `value['field']`.
fn struct_field(expr: &Expr) -> Option<Expr> {
    let Expr::CompoundFieldAccess { root, access_chain } = expr else {
        return None;
    };
    let Expr::Nested(value) = root.as_ref() else {
        return None;
    };
    let Some(AccessExpr::Dot(Expr::Identifier(field))) = access_chain.first() else {
        return None;
    };
    let name = if field.quote_style.is_some() {
        field.value.clone()
    } else {
        field.value.to_ascii_lowercase()
    };
    let mut chain = vec![AccessExpr::Subscript(Subscript::Index {
        index: Expr::Value(Value::SingleQuotedString(name).into()),
    })];
    chain.extend(access_chain.iter().skip(1).cloned());
    Some(Expr::CompoundFieldAccess {
        root: value.clone(),
        access_chain: chain,
    })
}

/// Wraps `generate_series` and `generate_subscripts` select items in `unnest`.
fn unnest_set_returning(select: &mut Select) -> bool {
    let mut changed = false;
    for item in &mut select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
            _ => continue,
        };
        let Some(name) = function_name(expr) else {
            continue;
        };
        let Some(unnested) = unnested(&name, expr) else {
            continue;
        };
        *item = SelectItem::ExprWithAlias {
            expr: unnested,
            alias: alias.unwrap_or_else(|| Ident::new(name)),
        };
        changed = true;
    }
    changed
}

fn unnested(name: &str, call: &Expr) -> Option<Expr> {
    match name {
        "generate_series" => parse_expr(&format!("unnest({call})")),
        "generate_subscripts" => {
            let args = positional_arguments(call)?;
            let [array, dimension] = args.as_slice() else {
                return None;
            };
            let from_zero =
                column_name(array).is_some_and(|c| VECTOR_COLUMNS.contains(&c.as_str()));
            let bounds = if from_zero {
                format!("0, CAST(array_length({array}, {dimension}) AS BIGINT) - 1")
            } else {
                format!("1, CAST(array_length({array}, {dimension}) AS BIGINT)")
            };
            parse_expr(&format!("unnest(generate_series({bounds}))"))
        }
        _ => None,
    }
}

/// The argument list of a call, as written.
fn arguments(call: &Expr) -> Option<String> {
    match call {
        Expr::Function(function) => match &function.args {
            FunctionArguments::List(list) => Some(
                list.args
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        },
        _ => None,
    }
}

fn positional_arguments(call: &Expr) -> Option<Vec<Expr>> {
    let Expr::Function(function) = call else {
        return None;
    };
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    list.args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr.clone()),
            _ => None,
        })
        .collect()
}

/// Names each repeated unnamed item after the first `?column?N`.
fn name_repeated_items(select: &mut Select) -> bool {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut changed = false;
    for (position, item) in select.projection.iter_mut().enumerate() {
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            continue;
        }
        let count = seen.entry(expr.to_string()).or_insert(0);
        *count += 1;
        if *count > 1 {
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: Ident::with_quote('"', format!("?column?{}", position + 1)),
            };
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::super::rewrite;

    #[test]
    fn pgjdbc_primary_keys_expand_the_index_key() {
        let sql = "SELECT result.COLUMN_NAME, result.KEY_SEQ FROM (SELECT a.attname AS COLUMN_NAME, \
                   (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, \
                   information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM \
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_index i ON (a.attrelid = i.indrelid) \
                   WHERE i.indisprimary) result where result.A_ATTNUM = (result.KEYS).x";
        let rewritten = rewrite(sql);
        assert!(
            rewritten.contains("unnest(_pg_expandarray(i.indkey))['n'] AS KEY_SEQ"),
            "{rewritten}"
        );
        assert!(
            rewritten.contains("unnest(_pg_expandarray(i.indkey)) AS KEYS"),
            "{rewritten}"
        );
        assert!(
            rewritten.contains("result.A_ATTNUM = result.KEYS['x']"),
            "{rewritten}"
        );
    }

    #[test]
    fn set_returning_select_items_are_unnested() {
        let rewritten = rewrite(
            "SELECT cn.oid, generate_series(array_lower(conkey, 1), array_upper(conkey, 1)) as i \
             FROM pg_catalog.pg_constraint cn",
        );
        assert!(
            rewritten.contains(
                "unnest(generate_series(array_lower(conkey, 1), array_upper(conkey, 1))) AS i"
            ),
            "{rewritten}"
        );
        let rewritten = rewrite(
            "SELECT unnest(pg_catalog.pg_index.indkey) AS attnum, \
             generate_subscripts(pg_catalog.pg_index.indkey, 1) AS ord FROM pg_catalog.pg_index",
        );
        assert!(
            rewritten.contains(
                "unnest(generate_series(0, CAST(array_length(pg_catalog.pg_index.indkey, 1) AS BIGINT) - 1)) AS ord"
            ),
            "{rewritten}"
        );
        let rewritten = rewrite("SELECT generate_subscripts(conkey, 1) FROM pg_constraint");
        assert!(
            rewritten.contains("unnest(generate_series(1, CAST(array_length(conkey, 1) AS BIGINT))) AS generate_subscripts"),
            "{rewritten}"
        );
    }

    #[test]
    fn series_in_from_stay() {
        let sql = "SELECT n FROM generate_series(1, 32) AS pos(n)";
        assert_eq!(rewrite(sql), sql);
    }

    #[test]
    fn vectors_the_client_receives_print_as_postgres_prints_them() {
        let rewritten = rewrite(
            "select c.relname, i.indkey, i.indoption AS opts from pg_catalog.pg_index i, \
             pg_catalog.pg_class c where c.oid = i.indexrelid",
        );
        assert!(
            rewritten.contains(
                "c.relname, array_to_string(i.indkey, ' ') AS indkey, array_to_string(i.indoption, ' ') AS opts"
            ),
            "{rewritten}"
        );
        let inner = "SELECT tmp.x FROM (SELECT i.indoption AS x FROM pg_index i) AS tmp";
        assert_eq!(rewrite(inner), inner);
    }

    #[test]
    fn psqlodbc_statistics_answer_no_rows() {
        let rewritten = rewrite(
            "select c.relname, i.indkey, i.indisunique, i.indisclustered, a.amname, c.relhasrules, \
             n.nspname, c.oid, 0, i.indoption from pg_catalog.pg_index i, pg_catalog.pg_class c, \
             pg_catalog.pg_class d, pg_catalog.pg_am a, pg_catalog.pg_namespace n where \
             d.relname = 'ledger' and c.relam = a.oid order by i.indisprimary desc",
        );
        assert!(
            rewritten.contains("WHERE (d.relname = 'ledger' AND c.relam = a.oid) AND false"),
            "{rewritten}"
        );
    }

    #[test]
    fn repeated_unnamed_items_get_names() {
        let rewritten = rewrite(
            "SELECT NULL AS PROCEDURE_CAT, n.nspname AS PROCEDURE_SCHEM, NULL, NULL, NULL, \
             2 AS PROCEDURE_TYPE FROM pg_catalog.pg_namespace n",
        );
        assert!(
            rewritten.contains("NULL, NULL AS \"?column?4\", NULL AS \"?column?5\", 2 AS"),
            "{rewritten}"
        );
    }
}
