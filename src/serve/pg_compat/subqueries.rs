//! Subqueries in the shapes catalog queries use that DataFusion 55 cannot plan as written.
//!
//! - `ARRAY(SELECT e FROM … WHERE …)` (psql `\du` and `\d+`, pgAdmin): DataFusion has no array
//!   constructor over a subquery. It becomes `coalesce((SELECT array_agg(e) FROM … WHERE …),
//!   make_array())`: the same rows aggregated in the subquery's order, and an empty array, not
//!   NULL, when there are none, as Postgres answers. A subquery with GROUP BY, HAVING, LIMIT or a
//!   set operation is left alone. psql's `array(SELECT 'toast.' || x FROM unnest(tc.reloptions)
//!   x)` reads the options of the TOAST table, which fundq's `pg_class` always has as NULL: it
//!   becomes the empty array Postgres gives for it.
//! - A correlated scalar lookup with no aggregate, `(SELECT c.relkind = 'c' FROM pg_class c
//!   WHERE c.oid = t.typrelid)` (pgjdbc `getTypeInfo`, Npgsql's type loading, pgcli), which
//!   DataFusion refuses ("Correlated scalar subquery must be aggregated"): its one item becomes
//!   `max(item)`. Such lookups are by key, so there is at most one row; on none both give NULL.
//!   (With two rows Postgres raises an error, and fundq would answer the larger value.)

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, GroupByExpr, OrderByKind, Query, Select, SelectItem, SetExpr,
    Statement, TableFactor, Visit, Visitor, visit_expressions_mut,
};

use super::{function_name, last_name, parse_expr};

/// Aggregate functions a lookup may already use (then it needs no `max`).
const AGGREGATES: [&str; 14] = [
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
];

/// Rewrites `ARRAY(subquery)` and correlated scalar lookups in `statement`; true when there was
/// one.
pub fn rewrite(statement: &mut Statement) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(statement, |expr| {
        if let Some(aggregated) = array_of_subquery(expr).or_else(|| aggregated_lookup(expr)) {
            *expr = aggregated;
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// `ARRAY(subquery)` as an aggregate over the same rows; `None` for anything else.
fn array_of_subquery(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let FunctionArguments::Subquery(query) = &function.args else {
        return None;
    };
    if last_name(&function.name)? != "array" {
        return None;
    }
    if reads_toast_options(query) {
        return parse_expr("CAST(make_array() AS TEXT[])");
    }
    let mut query = query.as_ref().clone();
    if query.limit_clause.is_some() || query.fetch.is_some() {
        return None;
    }
    let order = query.order_by.take();
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    let item = single_plain_item(select)?;
    let order = match order.map(|o| o.kind) {
        None => String::new(),
        Some(OrderByKind::Expressions(keys)) => {
            let keys: Vec<String> = keys.iter().map(|key| order_key_text(key, &item)).collect();
            format!(" ORDER BY {}", keys.join(", "))
        }
        Some(OrderByKind::All(_)) => return None,
    };
    let distinct = if select.distinct.take().is_some() {
        "DISTINCT "
    } else {
        ""
    };
    select.projection = vec![SelectItem::UnnamedExpr(parse_expr(&format!(
        "array_agg({distinct}{item}{order})"
    ))?)];
    parse_expr(&format!("coalesce(({query}), make_array())"))
}

/// An ORDER BY key of the subquery, with a position (`ORDER BY 1`) replaced by the item.
fn order_key_text(key: &datafusion::sql::sqlparser::ast::OrderByExpr, item: &Expr) -> String {
    let mut key = key.clone();
    if matches!(&key.expr, Expr::Value(v) if v.to_string() == "1") {
        key.expr = item.clone();
    }
    key.to_string()
}

/// The one expression a plain SELECT (no GROUP BY, HAVING or wildcard) lists.
fn single_plain_item(select: &Select) -> Option<Expr> {
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if grouped || select.having.is_some() || select.projection.len() != 1 {
        return None;
    }
    match &select.projection[0] {
        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
            Some(expr.clone())
        }
        _ => None,
    }
}

/// Whether the subquery reads `unnest(….reloptions)`: relation options, NULL for every
/// relation in fundq's `pg_class`.
fn reads_toast_options(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let [from] = select.from.as_slice() else {
        return false;
    };
    let argument = match &from.relation {
        TableFactor::Table {
            name,
            args: Some(args),
            ..
        } if last_name(name).as_deref() == Some("unnest") => match args.args.as_slice() {
            [argument] => argument.to_string(),
            _ => return false,
        },
        TableFactor::UNNEST { array_exprs, .. } => match array_exprs.as_slice() {
            [argument] => argument.to_string(),
            _ => return false,
        },
        _ => return false,
    };
    argument.to_ascii_lowercase().ends_with("reloptions")
}

/// A correlated scalar lookup with `max` around its item; `None` for anything else.
fn aggregated_lookup(expr: &Expr) -> Option<Expr> {
    let Expr::Subquery(query) = expr else {
        return None;
    };
    if query.with.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let item = single_plain_item(select)?;
    if select.distinct.is_some() || has_aggregate(&item) || !is_correlated(select) {
        return None;
    }
    let mut query = query.clone();
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    let wrapped = parse_expr(&format!("max({item})"))?;
    match &mut select.projection[0] {
        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => *expr = wrapped,
        _ => return None,
    }
    Some(Expr::Subquery(query))
}

fn has_aggregate(expr: &Expr) -> bool {
    struct Finder(bool);
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::Function(function) = expr
                && function.over.is_none()
                && function_name(expr).is_some_and(|name| AGGREGATES.contains(&name.as_str()))
            {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder(false);
    let _ = expr.visit(&mut finder);
    finder.0
}

/// Whether the SELECT refers to a relation it does not read itself (`t.typrelid` where only
/// `c` is in its FROM): a row of the outer query.
fn is_correlated(select: &Select) -> bool {
    let local = local_relations(select);
    struct Finder<'a> {
        local: &'a [String],
        found: bool,
    }
    impl Visitor for Finder<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::CompoundIdentifier(parts) = expr
                && parts.len() >= 2
            {
                let relation = parts[parts.len() - 2].value.to_ascii_lowercase();
                if !self.local.contains(&relation) {
                    self.found = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder {
        local: &local,
        found: false,
    };
    let _ = select.visit(&mut finder);
    finder.found
}

/// The names a SELECT's own FROM gives its relations: aliases, else table names.
fn local_relations(select: &Select) -> Vec<String> {
    select
        .from
        .iter()
        .flat_map(|from| {
            std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
        })
        .filter_map(|relation| match relation {
            TableFactor::Table {
                alias: Some(alias), ..
            }
            | TableFactor::Derived {
                alias: Some(alias), ..
            }
            | TableFactor::Function {
                alias: Some(alias), ..
            }
            | TableFactor::UNNEST {
                alias: Some(alias), ..
            } => Some(alias.name.value.to_ascii_lowercase()),
            TableFactor::Table { name, .. } => last_name(name),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::rewrite;

    #[test]
    fn pgjdbc_type_lookup_is_aggregated() {
        let sql = "SELECT t.typname,t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n \
                   ON (t.typnamespace = n.oid) WHERE n.nspname != 'pg_toast' AND (t.typrelid = 0 OR \
                   (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))";
        let rewritten = rewrite(sql);
        assert!(
            rewritten.contains("(SELECT max(c.relkind = 'c') FROM pg_catalog.pg_class AS c WHERE c.oid = t.typrelid)")
                || rewritten.contains("(SELECT max(c.relkind = 'c') FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid)"),
            "{rewritten}"
        );
    }

    #[test]
    fn npgsql_range_lookup_is_aggregated() {
        let sql = "SELECT CASE WHEN typ.typtype='m' THEN (SELECT rngtypid FROM pg_range \
                   WHERE rngmultitypid = typ.oid) END FROM pg_type AS typ";
        let rewritten = rewrite(sql);
        assert!(
            rewritten.contains("SELECT max(rngtypid) FROM pg_range"),
            "{rewritten}"
        );
    }

    #[test]
    fn lookups_that_need_no_aggregate_stay() {
        for sql in [
            // uncorrelated
            "SELECT * FROM t WHERE x = (SELECT oid FROM pg_namespace WHERE nspname = 'public')",
            // already aggregated
            "SELECT (SELECT count(*) FROM pg_trigger WHERE tgrelid = rel.oid) FROM pg_class rel",
            // limited
            "SELECT * FROM pg_class rel WHERE 1 = (SELECT 1 FROM pg_inherits WHERE inhrelid = rel.oid LIMIT 1)",
        ] {
            assert_eq!(rewrite(sql), sql, "{sql}");
        }
    }

    #[test]
    fn psql_du_member_of_is_an_aggregate() {
        let sql = "SELECT r.rolname, ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m \
                   JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid) WHERE m.member = r.oid) as memberof \
                   FROM pg_catalog.pg_roles r ORDER BY 1";
        let rewritten = rewrite(sql);
        assert!(
            rewritten
                .contains("coalesce((SELECT array_agg(b.rolname) FROM pg_catalog.pg_auth_members"),
            "{rewritten}"
        );
        assert!(
            rewritten.contains("make_array()) AS memberof"),
            "{rewritten}"
        );
    }

    #[test]
    fn ordered_and_distinct_arrays_keep_their_order() {
        let rewritten = rewrite(
            "SELECT ARRAY(SELECT DISTINCT rolname FROM pg_roles WHERE oid = any (x) ORDER BY 1)",
        );
        assert!(
            rewritten.contains("array_agg(DISTINCT rolname ORDER BY rolname)"),
            "{rewritten}"
        );
    }

    #[test]
    fn psql_toast_options_are_an_empty_array() {
        let sql = "SELECT pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x \
                   from pg_catalog.unnest(tc.reloptions) x), ', ') FROM pg_catalog.pg_class c \
                   LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)";
        let rewritten = rewrite(sql);
        assert!(
            rewritten.contains("c.reloptions || CAST(make_array() AS TEXT[])"),
            "{rewritten}"
        );
    }
}
