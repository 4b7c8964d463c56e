//! Postgres functions that clients call and that neither DataFusion nor `datafusion-postgres`
//! provides, and that need nothing from the catalog: `version()` in Postgres' form and
//! `to_regtype` (SQLAlchemy with psycopg, which Superset uses, calls both), `pg_size_pretty`
//! (psql `\dt+`, DBeaver, pgAdmin), `like_escape` and
//! `_pg_expandarray` (targets of [`super::pg_compat`]'s rewrites of `LIKE … ESCAPE` and
//! pgjdbc's key queries). Registered on every catalog the server builds; the CLI never sees
//! them. Functions that describe catalog objects are [`super::pg_describe`]'s.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Int32Array, ListArray, StringArray, StructArray, new_empty_array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::cast::{as_list_array, as_string_array};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};
use datafusion::prelude::SessionContext;

use super::pg_settings::SERVER_VERSION;

pub fn register(context: &SessionContext) {
    context.register_udf(postgres_version());
    context.register_udf(to_regtype());
    context.register_udf(like_escape());
    context.register_udf(size_pretty());
    for name in ["pg_table_size", "pg_indexes_size"] {
        context.register_udf(no_size(name));
    }
    context.register_udf(ScalarUDF::from(ExpandArray::new()));
}

/// `version()` as Postgres clients parse it (SQLAlchemy, Superset and JDBC read the major
/// version from "PostgreSQL N.M"); the server behind it is named too.
fn postgres_version() -> ScalarUDF {
    let text = format!(
        "PostgreSQL {SERVER_VERSION} (fundq {}, Apache DataFusion {}), read-only",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION
    );
    create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))),
    )
}

/// `to_regtype(name)`: the OID of a built-in type, NULL for any other (psycopg asks for
/// `hstore` when SQLAlchemy connects; fundq has no extension types, so NULL is the truth).
fn to_regtype() -> ScalarUDF {
    create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let names = ColumnarValue::values_to_arrays(args)?;
            let names = as_string_array(&names[0])?;
            let oids: Int32Array = names.iter().map(|n| n.and_then(builtin_type_oid)).collect();
            Ok(ColumnarValue::Array(Arc::new(oids)))
        }),
    )
}

/// OIDs of the built-in Postgres types fundq's columns map to, by name and common alias.
fn builtin_type_oid(name: &str) -> Option<i32> {
    let oid = match name.trim().to_ascii_lowercase().as_str() {
        "bool" | "boolean" => 16,
        "bytea" => 17,
        "int8" | "bigint" => 20,
        "int2" | "smallint" => 21,
        "int4" | "integer" | "int" => 23,
        "text" => 25,
        "json" => 114,
        "float4" | "real" => 700,
        "float8" | "double precision" => 701,
        "varchar" | "character varying" => 1043,
        "date" => 1082,
        "timestamp" | "timestamp without time zone" => 1114,
        "timestamptz" | "timestamp with time zone" => 1184,
        "numeric" | "decimal" => 1700,
        "uuid" => 2950,
        "jsonb" => 3802,
        _ => return None,
    };
    Some(oid)
}

/// `pg_size_pretty(bytes)`: a size in the largest unit that keeps at least 10 of it, as Postgres
/// 16 prints it (`8192 bytes`, `16 kB`, `2 MB`; halves rounded away from zero).
fn size_pretty() -> ScalarUDF {
    create_udf(
        "pg_size_pretty",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let sizes = datafusion::common::cast::as_int64_array(&arrays[0])?;
            let printed: StringArray = sizes.iter().map(|s| s.map(pretty_size)).collect();
            Ok(ColumnarValue::Array(Arc::new(printed)))
        }),
    )
}

/// `pg_table_size(oid)` and `pg_indexes_size(oid)`: 0, as datafusion-postgres'
/// `pg_relation_size` answers (psql `\dt+` asks for them); fundq's catalog keeps no sizes.
fn no_size(name: &str) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int64],
        DataType::Int64,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let rows = ColumnarValue::values_to_arrays(args)?[0].len();
            Ok(ColumnarValue::Array(Arc::new(
                datafusion::arrow::array::Int64Array::from(vec![0; rows]),
            )))
        }),
    )
}

fn pretty_size(bytes: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    if bytes.abs() < LIMIT {
        return format!("{bytes} bytes");
    }
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    // One extra bit is kept for rounding.
    let mut size = bytes / (1 << 9);
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < LIMIT * 2 - 1 {
            return format!("{} {unit}", half_rounded(size));
        }
        size /= 1 << 10;
    }
    format!("{} PB", half_rounded(size))
}

/// `like_escape(pattern, escape)`: a `LIKE` pattern written with escape character `escape`,
/// rewritten with backslash escapes, the only ones DataFusion's `LIKE` knows. `escape` followed
/// by a character stands for that character (`%` and `_` and `\` stay escaped); a backslash of
/// the pattern is an ordinary character, so it is escaped. An empty `escape` turns escaping off.
fn like_escape() -> ScalarUDF {
    create_udf(
        "like_escape",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let patterns = as_string_array(&arrays[0])?;
            let escapes = as_string_array(&arrays[1])?;
            let rewritten = patterns
                .iter()
                .zip(escapes.iter())
                .map(|(pattern, escape)| match (pattern, escape) {
                    (Some(pattern), Some(escape)) => backslash_pattern(pattern, escape).map(Some),
                    _ => Ok(None),
                })
                .collect::<Result<StringArray>>()?;
            Ok(ColumnarValue::Array(Arc::new(rewritten)))
        }),
    )
}

fn backslash_pattern(pattern: &str, escape: &str) -> Result<String> {
    let mut escape_chars = escape.chars();
    let escape = match (escape_chars.next(), escape_chars.next()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        _ => return exec_err!("invalid escape string: it must be empty or one character"),
    };
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(escaped @ ('%' | '_' | '\\')) => {
                    out.push('\\');
                    out.push(escaped);
                }
                Some(escaped) => out.push(escaped),
                None => return exec_err!("LIKE pattern must not end with escape character"),
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// `_pg_expandarray(array)`: each element `x` with its position `n` (from 1), as a list of
/// `{x, n}` structs; `unnest` of it gives Postgres' rows (information_schema's function,
/// which pgjdbc calls over `pg_index.indkey`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ExpandArray {
    signature: Signature,
}

impl ExpandArray {
    fn new() -> Self {
        ExpandArray {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

fn expanded_fields(element: &DataType) -> Fields {
    Fields::from(vec![
        Field::new("x", element.clone(), true),
        Field::new("n", DataType::Int32, false),
    ])
}

impl ScalarUDFImpl for ExpandArray {
    fn name(&self) -> &str {
        "_pg_expandarray"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(DataType::List(element)) => Ok(DataType::List(Arc::new(Field::new(
                "item",
                DataType::Struct(expanded_fields(element.data_type())),
                true,
            )))),
            other => plan_err!("_pg_expandarray expects an array, not {other:?}"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let lists = as_list_array(&arrays[0])?;
        Ok(ColumnarValue::Array(Arc::new(expand(lists)?)))
    }
}

/// Each list of `lists` as a list of `{x, n}` structs.
fn expand(lists: &ListArray) -> Result<ListArray> {
    let element = match lists.data_type() {
        DataType::List(field) => field.data_type().clone(),
        other => return exec_err!("_pg_expandarray expects an array, not {other}"),
    };
    let fields = expanded_fields(&element);
    let mut structs: Vec<ArrayRef> = Vec::with_capacity(lists.len());
    let mut lengths = Vec::with_capacity(lists.len());
    for row in 0..lists.len() {
        let values = if lists.is_null(row) {
            new_empty_array(&element)
        } else {
            lists.value(row)
        };
        let positions: Int32Array = (1..=values.len() as i32).collect();
        lengths.push(values.len());
        structs.push(Arc::new(StructArray::try_new(
            fields.clone(),
            vec![values, Arc::new(positions)],
            None,
        )?));
    }
    let parts: Vec<&dyn Array> = structs.iter().map(|s| s.as_ref()).collect();
    let values = if parts.is_empty() {
        new_empty_array(&DataType::Struct(fields.clone()))
    } else {
        concat(&parts)?
    };
    Ok(ListArray::try_new(
        Arc::new(Field::new("item", DataType::Struct(fields), true)),
        OffsetBuffer::from_lengths(lengths),
        values,
        lists.nulls().cloned(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(sql: &str) -> String {
        let context = SessionContext::new();
        register(&context);
        let rows = context.sql(sql).await.unwrap().collect().await.unwrap();
        datafusion::arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn client_functions_answer_like_postgres() {
        let text =
            answer("SELECT version() AS v, to_regtype('numeric') AS n, to_regtype('hstore') AS h")
                .await;
        assert!(text.contains("PostgreSQL 16.6"), "{text}");
        assert!(text.contains("| 1700 |"), "{text}");
        assert!(text.contains("|   |"), "hstore is no type here: {text}");
    }

    #[test]
    fn sizes_print_as_postgres_prints_them() {
        assert_eq!(pretty_size(0), "0 bytes");
        assert_eq!(pretty_size(10239), "10239 bytes");
        assert_eq!(pretty_size(10240), "10 kB");
        assert_eq!(pretty_size(1_000_000), "977 kB");
        assert_eq!(pretty_size(123_456_789), "118 MB");
    }

    #[test]
    fn like_patterns_take_backslash_escapes() {
        assert_eq!(backslash_pattern("pg/_%", "/").unwrap(), "pg\\_%");
        assert_eq!(backslash_pattern("a//b", "/").unwrap(), "a/b");
        assert_eq!(backslash_pattern("a\\b/x", "/").unwrap(), "a\\\\bx");
        assert_eq!(backslash_pattern("a\\b%", "").unwrap(), "a\\\\b%");
        assert!(backslash_pattern("ab/", "/").is_err());
    }

    #[tokio::test]
    async fn like_escape_matches_as_postgres_does() {
        let text = answer(
            "SELECT 'pg_catalog' LIKE like_escape('pg/_%', '/') AS a, \
             'pgxcatalog' LIKE like_escape('pg/_%', '/') AS b",
        )
        .await;
        assert!(text.contains("| true | false |"), "{text}");
    }

    #[tokio::test]
    async fn expanded_arrays_unnest_to_elements_and_positions() {
        let text = answer(
            "SELECT unnest(_pg_expandarray(k))['x'] AS x, unnest(_pg_expandarray(k))['n'] AS n \
             FROM (SELECT make_array(3, 1, 2) AS k)",
        )
        .await;
        assert!(text.contains("| 3 | 1 |"), "{text}");
        assert!(text.contains("| 1 | 2 |"), "{text}");
        assert!(text.contains("| 2 | 3 |"), "{text}");
    }
}
