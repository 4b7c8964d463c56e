//! Postgres functions that clients call while connecting and that neither DataFusion nor
//! `datafusion-postgres` provides: `version()` in Postgres' form and `to_regtype` (SQLAlchemy
//! with psycopg, which Superset uses, calls both). Registered on every catalog the server
//! builds; the CLI never sees them.

use std::sync::Arc;

use datafusion::arrow::array::Int32Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;

pub fn register(context: &SessionContext) {
    context.register_udf(postgres_version());
    context.register_udf(to_regtype());
}

/// `version()` as Postgres clients parse it (SQLAlchemy, Superset and JDBC read the major
/// version from "PostgreSQL N.M"); the server behind it is named too.
fn postgres_version() -> ScalarUDF {
    let text = format!(
        "PostgreSQL 16.6 (fundq {}, Apache DataFusion {}), read-only",
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
            let names = datafusion::common::cast::as_string_array(&names[0])?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn client_functions_answer_like_postgres() {
        let context = SessionContext::new();
        register(&context);
        let rows = context
            .sql("SELECT version() AS v, to_regtype('numeric') AS n, to_regtype('hstore') AS h")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(text.contains("PostgreSQL 16.6"), "{text}");
        assert!(text.contains("| 1700 |"), "{text}");
        assert!(text.contains("|   |"), "hstore is no type here: {text}");
    }
}
