//! Operands written for Postgres' catalog types, which fundq's catalog stores as DataFusion
//! types.
//!
//! - `int2vector` and `oidvector` subscripts start at 0; `pg_index.indkey` and its siblings are
//!   lists here, whose subscripts start at 1: `i.indkey[ia.attnum - 1]` (psqlODBC's
//!   `SQLPrimaryKeys`) becomes `i.indkey[(ia.attnum - 1) + 1]`.
//! - Postgres reads `'t'` compared with a boolean as a boolean; DataFusion refuses `Boolean =
//!   Utf8`. A boolean spelling (`'t'`, `'false'`, `'on'`, …) compared with one of the
//!   `pg_catalog` boolean columns (psqlODBC's `i.indisprimary = 't'`) becomes `true`/`false`.
//! - `pg_type`'s `regproc` columns (`typinput`, `typreceive`, …) hold the function's name here,
//!   not its OID. `typinput = 'pg_catalog.array_in'::regproc` (pgjdbc's array check, DBeaver)
//!   compares with the name `'array_in'`, and `proc.oid = typ.typreceive` (Npgsql's type
//!   loading) joins on `proc.proname`: every function these columns name has a name of its own
//!   in fundq's `pg_proc` (no overloads), so the join finds the same row.
//! - `LIKE p ESCAPE 'c'` with any `c` but backslash, which DataFusion refuses (SQLAlchemy's
//!   schema list: `nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'`), becomes `LIKE like_escape(p,
//!   'c')`: the same pattern with backslash escapes (see `pg_functions`).
//! - `'pg_class'::regclass` names a relation on the search path, where Postgres looks in
//!   `pg_catalog` first; datafusion-postgres looks only in the current schema and finds
//!   nothing. A `pg_catalog` relation's bare name becomes `'pg_catalog.pg_class'` (pgjdbc's and
//!   pgAdmin's `d.classoid = 'pg_class'::regclass`, which finds the descriptions of relations).
//! - Postgres' `name` type (identifiers of up to 63 bytes) is text to DataFusion, which knows
//!   no `name`: `'datafusion'::name` (psqlODBC's `SQLForeignKeys`) becomes a cast to `TEXT`.
//! - `pg_proc.proargtypes` and `proallargtypes` are text here (`2275 26 23`), not `oidvector`:
//!   `proargtypes::regtype[]` (pgcli's function completion) becomes `_pg_regtypes(proargtypes)`,
//!   the same type names (see `pg_describe`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, DataType, Expr, Statement, Subscript, Value, ValueWithSpan,
    visit_expressions_mut,
};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::PG_CATALOG_TABLES;

use super::select_list::VECTOR_COLUMNS;
use super::{column_name, parse_expr};

/// Boolean columns of fundq's `pg_catalog` tables.
const BOOLEAN_COLUMNS: [&str; 47] = [
    "attbyval",
    "atthasdef",
    "atthasmissing",
    "attisdropped",
    "attislocal",
    "attnotnull",
    "condeferrable",
    "condeferred",
    "conislocal",
    "connoinherit",
    "convalidated",
    "datallowconn",
    "datistemplate",
    "indcheckxmin",
    "indimmediate",
    "indisclustered",
    "indisexclusion",
    "indislive",
    "indisprimary",
    "indisready",
    "indisreplident",
    "indisunique",
    "indisvalid",
    "indnullsnotdistinct",
    "opcdefault",
    "proisstrict",
    "proleakproof",
    "proretset",
    "prosecdef",
    "relforcerowsecurity",
    "relhasindex",
    "relhasrules",
    "relhassubclass",
    "relhastriggers",
    "relispartition",
    "relispopulated",
    "relisshared",
    "relrowsecurity",
    "rolcanlogin",
    "rolcreatedb",
    "rolcreaterole",
    "rolinherit",
    "rolsuper",
    "typbyval",
    "typisdefined",
    "typispreferred",
    "typnotnull",
];

/// `pg_type` columns of type `regproc`, holding function names in fundq's catalog.
const REGPROC_COLUMNS: [&str; 8] = [
    "typinput",
    "typoutput",
    "typreceive",
    "typsend",
    "typmodin",
    "typmodout",
    "typanalyze",
    "typsubscript",
];

/// Rewrites the operands above in `statement`; true when there was one.
pub fn rewrite(statement: &mut Statement) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(statement, |expr| {
        let rewritten = vector_subscript(expr)
            .or_else(|| name_as_text(expr))
            .or_else(|| argument_types(expr))
            .or_else(|| comparison(expr))
            .or_else(|| like_with_escape(expr))
            .or_else(|| catalog_regclass(expr));
        if let Some(rewritten) = rewritten {
            *expr = rewritten;
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// `indkey[e]` (`i.indkey[e]` parses as `i` `.indkey` `[e]`) as `indkey[(e) + 1]`.
fn vector_subscript(expr: &Expr) -> Option<Expr> {
    let Expr::CompoundFieldAccess { root, access_chain } = expr else {
        return None;
    };
    let (AccessExpr::Subscript(Subscript::Index { index }), before) = access_chain.split_last()?
    else {
        return None;
    };
    let column = match before.last() {
        None => column_name(root)?,
        Some(AccessExpr::Dot(field)) => column_name(field)?,
        Some(AccessExpr::Subscript(_)) => return None,
    };
    if !VECTOR_COLUMNS.contains(&column.as_str()) {
        return None;
    }
    let shifted = parse_expr(&format!("({index}) + 1"))?;
    let mut chain = before.to_vec();
    chain.push(AccessExpr::Subscript(Subscript::Index { index: shifted }));
    Some(Expr::CompoundFieldAccess {
        root: root.clone(),
        access_chain: chain,
    })
}

/// `x::name` as `x::TEXT`.
fn name_as_text(expr: &Expr) -> Option<Expr> {
    let Expr::Cast { data_type, .. } = expr else {
        return None;
    };
    if type_name(data_type) != "name" {
        return None;
    }
    let mut rewritten = expr.clone();
    if let Expr::Cast { data_type, .. } = &mut rewritten {
        *data_type = DataType::Text;
    }
    Some(rewritten)
}

/// `proargtypes::regtype[]` as `_pg_regtypes(proargtypes)`.
fn argument_types(expr: &Expr) -> Option<Expr> {
    let Expr::Cast {
        expr: operand,
        data_type,
        ..
    } = expr
    else {
        return None;
    };
    let column = column_name(operand)?;
    if type_name(data_type) != "regtype[]"
        || !matches!(column.as_str(), "proargtypes" | "proallargtypes")
    {
        return None;
    }
    parse_expr(&format!("_pg_regtypes({operand})"))
}

/// A comparison of a catalog column with a literal or column written for Postgres' types.
fn comparison(expr: &Expr) -> Option<Expr> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return None;
    };
    if !matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) {
        return None;
    }
    let (left, right) = match rewritten_operands(left, right) {
        Some((l, r)) => (l, r),
        None => {
            let (r, l) = rewritten_operands(right, left)?;
            (l, r)
        }
    };
    Some(Expr::BinaryOp {
        left: Box::new(left),
        op: op.clone(),
        right: Box::new(right),
    })
}

/// `column op other` with `other` (or `column`) rewritten, when `column` is one the module
/// knows.
fn rewritten_operands(column: &Expr, other: &Expr) -> Option<(Expr, Expr)> {
    let name = column_name(column)?;
    if BOOLEAN_COLUMNS.contains(&name.as_str()) {
        let value = boolean_spelling(string_literal(other)?)?;
        return Some((column.clone(), Expr::Value(Value::Boolean(value).into())));
    }
    if REGPROC_COLUMNS.contains(&name.as_str()) {
        if let Some(function) = regproc_literal(other) {
            let literal = Value::SingleQuotedString(function.to_string());
            return Some((column.clone(), Expr::Value(literal.into())));
        }
        if let Expr::CompoundIdentifier(parts) = other
            && parts
                .last()
                .is_some_and(|p| p.value.eq_ignore_ascii_case("oid"))
        {
            let mut proname = parts.clone();
            if let Some(last) = proname.last_mut() {
                last.value = "proname".into();
            }
            return Some((column.clone(), Expr::CompoundIdentifier(proname)));
        }
    }
    None
}

fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(text),
            ..
        }) => Some(text),
        _ => None,
    }
}

/// Postgres' spellings of a boolean (`boolin`).
fn boolean_spelling(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The function name in `'[pg_catalog.]name'::regproc`.
fn regproc_literal(expr: &Expr) -> Option<&str> {
    let Expr::Cast {
        expr, data_type, ..
    } = expr
    else {
        return None;
    };
    if type_name(data_type) != "regproc" {
        return None;
    }
    let name = string_literal(expr)?;
    Some(name.strip_prefix("pg_catalog.").unwrap_or(name))
}

/// A type's name, lower-cased, without `pg_catalog.`.
fn type_name(data_type: &DataType) -> String {
    let name = data_type.to_string().to_ascii_lowercase();
    name.strip_prefix("pg_catalog.")
        .unwrap_or(&name)
        .to_string()
}

/// `LIKE p ESCAPE 'c'` as `LIKE like_escape(p, 'c')`.
fn like_with_escape(expr: &Expr) -> Option<Expr> {
    let mut rewritten = expr.clone();
    let (pattern, escape_char) = match &mut rewritten {
        Expr::Like {
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            pattern,
            escape_char,
            ..
        } => (pattern, escape_char),
        _ => return None,
    };
    let escape = match escape_char.as_ref().map(|v| &v.value) {
        Some(Value::SingleQuotedString(escape)) if escape != "\\" => escape.clone(),
        _ => return None,
    };
    let quoted = Value::SingleQuotedString(escape).to_string();
    **pattern = parse_expr(&format!("like_escape({pattern}, {quoted})"))?;
    *escape_char = None;
    Some(rewritten)
}

/// `'name'::regclass` of a `pg_catalog` relation as `'pg_catalog.name'::regclass`.
fn catalog_regclass(expr: &Expr) -> Option<Expr> {
    let Expr::Cast {
        expr: operand,
        data_type,
        ..
    } = expr
    else {
        return None;
    };
    if type_name(data_type) != "regclass" {
        return None;
    }
    let name = string_literal(operand)?;
    if !PG_CATALOG_TABLES.contains(&name) {
        return None;
    }
    let mut rewritten = expr.clone();
    if let Expr::Cast { expr: operand, .. } = &mut rewritten {
        **operand = Expr::Value(Value::SingleQuotedString(format!("pg_catalog.{name}")).into());
    }
    Some(rewritten)
}

#[cfg(test)]
mod tests {
    use super::super::rewrite;

    #[test]
    fn psqlodbc_primary_key_query_reads_lists_and_booleans() {
        let sql = "select ta.attname, ia.attnum from pg_catalog.pg_attribute ta, \
                   pg_catalog.pg_attribute ia, pg_catalog.pg_index i where i.indisprimary = 't' \
                   AND ia.attrelid = i.indexrelid AND ta.attrelid = i.indrelid \
                   AND ta.attnum = i.indkey[ia.attnum-1]";
        let rewritten = rewrite(sql);
        assert!(rewritten.contains("i.indisprimary = true"), "{rewritten}");
        assert!(
            rewritten.contains("i.indkey[(ia.attnum - 1) + 1]"),
            "{rewritten}"
        );
    }

    #[test]
    fn text_columns_keep_their_letters() {
        let sql = "SELECT * FROM pg_class WHERE relkind = 't' AND relpersistence = 'p'";
        assert_eq!(rewrite(sql), sql);
    }

    #[test]
    fn regproc_columns_compare_by_name() {
        let rewritten = rewrite(
            "SELECT typinput='pg_catalog.array_in'::regproc as is_array FROM pg_catalog.pg_type \
             WHERE pg_type.oid = 1034",
        );
        assert!(
            rewritten.contains("typinput = 'array_in' AS is_array"),
            "{rewritten}"
        );
        let rewritten = rewrite(
            "SELECT typ.oid FROM pg_type AS typ LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive",
        );
        assert!(
            rewritten.contains("ON proc.proname = typ.typreceive"),
            "{rewritten}"
        );
    }

    #[test]
    fn names_are_text() {
        let rewritten = rewrite("select 'datafusion'::name as \"PKTABLE_CAT\", x::pg_catalog.name");
        assert_eq!(
            rewritten,
            "SELECT 'datafusion'::TEXT AS \"PKTABLE_CAT\", x::TEXT"
        );
    }

    #[test]
    fn argument_vectors_cast_to_type_names() {
        let rewritten = rewrite(
            "SELECT COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[] FROM pg_proc",
        );
        assert!(
            rewritten.contains("COALESCE(_pg_regtypes(proallargtypes), _pg_regtypes(proargtypes))"),
            "{rewritten}"
        );
    }

    #[test]
    fn like_escape_other_than_backslash() {
        let rewritten = rewrite(
            "SELECT nspname FROM pg_namespace WHERE (nspname NOT LIKE $1::VARCHAR || '%' ESCAPE '/')",
        );
        assert!(
            rewritten.contains("nspname NOT LIKE like_escape($1::VARCHAR || '%', '/')"),
            "{rewritten}"
        );
        let sql = "SELECT 1 WHERE 'a' LIKE 'a\\_%' ESCAPE '\\'";
        assert_eq!(rewrite(sql), sql);
    }

    #[test]
    fn catalog_relation_names_resolve_in_pg_catalog() {
        let rewritten = rewrite(
            "SELECT d.description FROM pg_description d WHERE d.classoid = 'pg_class'::regclass \
             AND d.objoid = 'ledger'::regclass",
        );
        assert!(
            rewritten.contains("d.classoid = 'pg_catalog.pg_class'::REGCLASS"),
            "{rewritten}"
        );
        assert!(rewritten.contains("'ledger'::REGCLASS"), "{rewritten}");
    }
}
