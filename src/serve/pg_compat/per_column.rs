//! SQLAlchemy's column reflection (`Inspector.get_columns`, which Superset runs when a dataset
//! is added) reads each column's default, identity options and collation through correlated
//! scalar subqueries inside CASE expressions (over `pg_attrdef`, `pg_sequence` and
//! `pg_collation`, guarded by `atthasdef`, `attidentity` and `attcollation`). DataFusion 55
//! cannot plan those, and they call functions it lacks (`pg_get_serial_sequence`,
//! `json_build_object`). In fundq's `pg_attribute` every column has `atthasdef = false`,
//! `attidentity = ''` and `attcollation = 0`: no column has a default, an identity or a
//! collation of its own, so each of those CASE expressions is NULL for every row. Such a CASE
//! becomes NULL here. The parameter placeholders it held (`$2::VARCHAR`) stay in the statement
//! inside a term that is never evaluated, so the values the client binds still line up.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Query, SetExpr, Statement, TableFactor, Value, Visit, Visitor, visit_expressions_mut,
};

/// Catalog tables describing per-column defaults, identity sequences and collations.
const PER_COLUMN_CATALOGS: [&str; 3] = ["pg_attrdef", "pg_sequence", "pg_collation"];

/// Replaces each per-column lookup in `statement` by NULL; true when there was one.
pub fn rewrite(statement: &mut Statement) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(statement, |expr| {
        if is_per_column_lookup(expr) {
            *expr = null_keeping_placeholders(expr);
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// A CASE whose every result is NULL or a subquery over a per-column catalog that is
/// correlated with `pg_attribute` (the column being described).
fn is_per_column_lookup(expr: &Expr) -> bool {
    let Expr::Case {
        conditions,
        else_result,
        ..
    } = expr
    else {
        return false;
    };
    let results: Vec<&Expr> = conditions
        .iter()
        .map(|when| &when.result)
        .chain(else_result.as_deref())
        .collect();
    let lookups = results.iter().filter(|e| is_lookup_subquery(e)).count();
    lookups > 0 && results.iter().all(|e| is_null(e) || is_lookup_subquery(e))
}

fn is_null(expr: &Expr) -> bool {
    match expr {
        Expr::Value(value) => value.value == Value::Null,
        Expr::Nested(inner) => is_null(inner),
        _ => false,
    }
}

fn is_lookup_subquery(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => is_lookup_subquery(inner),
        Expr::Subquery(query) => reads_per_column_catalog(query) && mentions_pg_attribute(query),
        _ => false,
    }
}

fn reads_per_column_catalog(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    select
        .from
        .iter()
        .flat_map(|from| {
            std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
        })
        .any(|relation| match relation {
            TableFactor::Table { name, .. } => name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .is_some_and(|ident| PER_COLUMN_CATALOGS.contains(&ident.value.as_str())),
            _ => false,
        })
}

/// Whether the subquery refers to `pg_attribute.…`, the outer row it describes.
fn mentions_pg_attribute(query: &Query) -> bool {
    struct Finder(bool);
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::CompoundIdentifier(parts) = expr
                && parts.iter().any(|p| p.value == "pg_attribute")
            {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder(false);
    let _ = query.visit(&mut finder);
    finder.0
}

/// NULL, or, when `expr` holds parameter placeholders, `CASE WHEN FALSE AND ($2::VARCHAR) IS
/// NULL … THEN NULL END`: still NULL, and every placeholder keeps its declared type.
fn null_keeping_placeholders(expr: &Expr) -> Expr {
    let placeholders = placeholders_in(expr);
    let null = Expr::Value(Value::Null.into());
    if placeholders.is_empty() {
        return null;
    }
    let terms: Vec<String> = placeholders
        .iter()
        .map(|p| format!("({p}) IS NULL"))
        .collect();
    let text = format!("CASE WHEN FALSE AND {} THEN NULL END", terms.join(" AND "));
    super::parse_expr(&text).unwrap_or(null)
}

/// Each placeholder in `expr`, with the cast around it when it has one (`$2::VARCHAR`).
fn placeholders_in(expr: &Expr) -> BTreeSet<String> {
    struct Collector {
        cast: BTreeSet<String>,
        bare: BTreeSet<String>,
        cast_names: BTreeSet<String>,
    }
    impl Visitor for Collector {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            match expr {
                Expr::Cast { expr: inner, .. } => {
                    if let Expr::Value(v) = inner.as_ref()
                        && let Value::Placeholder(name) = &v.value
                    {
                        self.cast.insert(expr.to_string());
                        self.cast_names.insert(name.clone());
                    }
                }
                Expr::Value(v) => {
                    if let Value::Placeholder(name) = &v.value {
                        self.bare.insert(name.clone());
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut collector = Collector {
        cast: BTreeSet::new(),
        bare: BTreeSet::new(),
        cast_names: BTreeSet::new(),
    };
    let _ = expr.visit(&mut collector);
    let bare: Vec<String> = collector
        .bare
        .difference(&collector.cast_names)
        .cloned()
        .collect();
    collector.cast.into_iter().chain(bare).collect()
}

#[cfg(test)]
mod tests {
    use super::super::rewrite;

    #[test]
    fn per_column_default_lookup_is_null() {
        let sql = "SELECT a.attname, CASE WHEN pg_catalog.pg_attribute.atthasdef THEN \
                   (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d \
                   WHERE d.adrelid = pg_catalog.pg_attribute.attrelid) ELSE NULL END AS \"default\" \
                   FROM pg_catalog.pg_attribute";
        let rewritten = rewrite(sql);
        assert!(rewritten.contains("NULL AS \"default\""), "{rewritten}");
        assert!(!rewritten.contains("pg_attrdef"), "{rewritten}");
    }

    #[test]
    fn placeholders_of_a_removed_lookup_stay_typed() {
        let sql = "SELECT CASE WHEN (pg_catalog.pg_attribute.attidentity != $1::VARCHAR) THEN \
                   (SELECT json_build_object($2::VARCHAR, pg_catalog.pg_sequence.seqstart) \
                   FROM pg_catalog.pg_sequence WHERE pg_catalog.pg_attribute.attidentity != $3::VARCHAR) \
                   ELSE NULL END AS identity_options, $4::INTEGER AS n FROM pg_catalog.pg_attribute";
        let rewritten = rewrite(sql);
        assert!(!rewritten.contains("pg_sequence"), "{rewritten}");
        for placeholder in ["$1::VARCHAR", "$2::VARCHAR", "$3::VARCHAR", "$4::INTEGER"] {
            assert!(
                rewritten.contains(placeholder),
                "{placeholder} lost: {rewritten}"
            );
        }
        assert!(
            rewritten.contains("CASE WHEN false AND") || rewritten.contains("CASE WHEN FALSE AND"),
            "{rewritten}"
        );
    }
}
