//! The server's settings as Postgres clients read them: the rows of `pg_settings` and
//! `pg_show_all_settings()`, `current_setting(name)`, `set_config(…)`, and which `SHOW`s answer
//! from them.
//!
//! pgjdbc reads `max_index_keys` before it lists foreign keys, DBeaver
//! `standard_conforming_strings`, pgAdmin calls `set_config('bytea_output', 'hex', false)` over
//! `pg_show_all_settings()` when it connects, Grafana reads `current_setting('search_path')`.
//! The values are the ones the server states elsewhere: the version `version()` reports, the
//! formats and search path pgwire announces when a client connects, a read-only server.
//! Settings a connection changes with `SET` (DateStyle, search_path, …) are reported here as the
//! server's defaults; `SHOW` of those answers the connection's own value (datafusion-postgres).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{MemTable, TableFunctionImpl};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::datasource::TableProvider;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::{Expr, SessionContext};
use datafusion_postgres::pgwire::api::auth::DefaultServerParameterProvider;
use datafusion_postgres::pgwire::types::format::FormatOptions;

/// The Postgres release whose behaviour the server presents (and `version()` names).
pub const SERVER_VERSION: &str = "16.6";
/// [`SERVER_VERSION`] as `server_version_num`.
pub const SERVER_VERSION_NUM: &str = "160006";

/// One row of `pg_settings`.
struct Setting {
    name: &'static str,
    setting: String,
    vartype: &'static str,
    /// Postgres' `context`: `internal` and `postmaster` settings never change for a connection.
    context: &'static str,
    short_desc: &'static str,
}

fn setting(
    name: &'static str,
    value: impl Into<String>,
    vartype: &'static str,
    context: &'static str,
    short_desc: &'static str,
) -> Setting {
    Setting {
        name,
        setting: value.into(),
        vartype,
        context,
        short_desc,
    }
}

fn settings() -> Vec<Setting> {
    let formats = FormatOptions::default();
    let parameters = DefaultServerParameterProvider::default();
    vec![
        setting(
            "block_size",
            "8192",
            "integer",
            "internal",
            "Shows the size of a disk block.",
        ),
        setting(
            "bytea_output",
            formats.bytea_output,
            "enum",
            "user",
            "Sets the output format for bytea.",
        ),
        setting(
            "client_encoding",
            "UTF8",
            "string",
            "user",
            "Sets the client's character set encoding.",
        ),
        setting(
            "client_min_messages",
            "notice",
            "enum",
            "user",
            "Sets the message levels that are sent to the client.",
        ),
        setting(
            "DateStyle",
            formats.date_style,
            "string",
            "user",
            "Sets the display format for date and time values.",
        ),
        setting(
            "default_transaction_isolation",
            "read committed",
            "enum",
            "user",
            "Sets the transaction isolation level of each new transaction.",
        ),
        setting(
            "default_transaction_read_only",
            "on",
            "bool",
            "user",
            "Sets the default read-only status of new transactions.",
        ),
        setting(
            "extra_float_digits",
            formats.extra_float_digits.to_string(),
            "integer",
            "user",
            "Sets the number of digits displayed for floating-point values.",
        ),
        setting(
            "in_hot_standby",
            "off",
            "bool",
            "internal",
            "Shows whether hot standby is currently active.",
        ),
        setting(
            "integer_datetimes",
            "on",
            "bool",
            "internal",
            "Shows whether datetimes are integer based.",
        ),
        setting(
            "IntervalStyle",
            formats.interval_style,
            "enum",
            "user",
            "Sets the display format for interval values.",
        ),
        setting(
            "max_function_args",
            "100",
            "integer",
            "internal",
            "Shows the maximum number of function arguments.",
        ),
        setting(
            "max_identifier_length",
            "63",
            "integer",
            "internal",
            "Shows the maximum identifier length.",
        ),
        setting(
            "max_index_keys",
            "32",
            "integer",
            "internal",
            "Shows the maximum number of index keys.",
        ),
        setting(
            "search_path",
            parameters.search_path,
            "string",
            "user",
            "Sets the schema search order for names that are not schema-qualified.",
        ),
        setting(
            "server_encoding",
            "UTF8",
            "string",
            "internal",
            "Shows the server (database) character set encoding.",
        ),
        setting(
            "server_version",
            SERVER_VERSION,
            "string",
            "internal",
            "Shows the server version.",
        ),
        setting(
            "server_version_num",
            SERVER_VERSION_NUM,
            "integer",
            "internal",
            "Shows the server version as an integer.",
        ),
        setting(
            "standard_conforming_strings",
            "on",
            "bool",
            "internal",
            "Causes '...' strings to treat backslashes literally.",
        ),
        setting(
            "TimeZone",
            formats.time_zone,
            "string",
            "user",
            "Sets the time zone for displaying and interpreting time stamps.",
        ),
        setting(
            "transaction_isolation",
            "read committed",
            "enum",
            "user",
            "Sets the current transaction's isolation level.",
        ),
        setting(
            "transaction_read_only",
            "on",
            "bool",
            "user",
            "Sets the current transaction's read-only status.",
        ),
    ]
}

/// The value of setting `name` (any letter case), as `current_setting` answers.
pub fn value(name: &str) -> Option<String> {
    settings()
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .map(|s| s.setting)
}

/// Whether `SHOW name` should answer from these rows: settings no connection changes (the
/// others are answered per connection by datafusion-postgres). `standard_conforming_strings`
/// and the read-only ones are fixed by this server although Postgres lets a user set them.
pub fn is_server_wide(name: &str) -> bool {
    settings().iter().any(|s| {
        s.name.eq_ignore_ascii_case(name)
            && (s.context == "internal"
                || matches!(
                    s.name,
                    "default_transaction_read_only"
                        | "transaction_read_only"
                        | "default_transaction_isolation"
                ))
    })
}

fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        text("name"),
        text("setting"),
        text("unit"),
        text("category"),
        text("short_desc"),
        text("extra_desc"),
        text("context"),
        text("vartype"),
        text("source"),
        text("min_val"),
        text("max_val"),
        text("enumvals"),
        text("boot_val"),
        text("reset_val"),
        text("sourcefile"),
        Field::new("sourceline", DataType::Int32, true),
        Field::new("pending_restart", DataType::Boolean, true),
    ]))
}

fn rows() -> Result<RecordBatch> {
    let settings = settings();
    let column = |f: &dyn Fn(&Setting) -> Option<String>| -> ArrayRef {
        Arc::new(settings.iter().map(f).collect::<StringArray>())
    };
    let none = |_: &Setting| None::<String>;
    let columns = vec![
        column(&|s| Some(s.name.to_string())),
        column(&|s| Some(s.setting.clone())),
        column(&none),
        column(&|_| Some("Preset Options".to_string())),
        column(&|s| Some(s.short_desc.to_string())),
        column(&none),
        column(&|s| Some(s.context.to_string())),
        column(&|s| Some(s.vartype.to_string())),
        column(&|_| Some("default".to_string())),
        column(&none),
        column(&none),
        column(&none),
        column(&|s| Some(s.setting.clone())),
        column(&|s| Some(s.setting.clone())),
        column(&none),
        Arc::new(Int32Array::new_null(settings.len())),
        Arc::new(BooleanArray::from(vec![false; settings.len()])),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// `pg_catalog.pg_settings`.
pub fn table() -> Result<Arc<MemTable>> {
    Ok(Arc::new(MemTable::try_new(schema(), vec![vec![rows()?]])?))
}

/// Registers `pg_show_all_settings()`, `current_setting` and `set_config`.
pub fn register(context: &SessionContext) {
    context.register_udtf("pg_show_all_settings", Arc::new(AllSettings));
    context.register_udf(ScalarUDF::from(CurrentSetting::new()));
    context.register_udf(ScalarUDF::from(SetConfig::new()));
}

/// `pg_show_all_settings()`: the rows of `pg_settings`.
#[derive(Debug)]
struct AllSettings;

impl TableFunctionImpl for AllSettings {
    fn call(&self, _args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        Ok(table()?)
    }
}

/// `current_setting(name [, missing_ok])`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CurrentSetting {
    signature: Signature,
}

impl CurrentSetting {
    fn new() -> Self {
        let signature = Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
            ],
            Volatility::Stable,
        );
        CurrentSetting { signature }
    }
}

impl ScalarUDFImpl for CurrentSetting {
    fn name(&self) -> &str {
        "current_setting"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let names = datafusion::common::cast::as_string_array(&arrays[0])?;
        let missing_ok = arrays
            .get(1)
            .map(|a| datafusion::common::cast::as_boolean_array(a).cloned())
            .transpose()?;
        let mut values = Vec::with_capacity(names.len());
        for (row, name) in names.iter().enumerate() {
            let found = name.and_then(value);
            let tolerated = missing_ok.as_ref().is_some_and(|m| m.value(row));
            match (name, found) {
                (Some(name), None) if !tolerated => {
                    return exec_err!("unrecognized configuration parameter \"{name}\"");
                }
                (_, found) => values.push(found),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(StringArray::from(values))))
    }
}

/// `set_config(name, value, is_local)`: answers `value`, as Postgres does, and changes
/// nothing: every setting of this read-only server is fixed (pgAdmin sets `bytea_output` to
/// `hex`, which it already is).
#[derive(Debug, PartialEq, Eq, Hash)]
struct SetConfig {
    signature: Signature,
}

impl SetConfig {
    fn new() -> Self {
        SetConfig {
            signature: Signature::exact(
                vec![DataType::Utf8, DataType::Utf8, DataType::Boolean],
                Volatility::Volatile,
            ),
        }
    }
}

impl ScalarUDFImpl for SetConfig {
    fn name(&self) -> &str {
        "set_config"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(match &args.args[1] {
            ColumnarValue::Scalar(value) => ColumnarValue::Scalar(match value {
                ScalarValue::Utf8(v) => ScalarValue::Utf8(v.clone()),
                other => ScalarValue::Utf8(Some(other.to_string())),
            }),
            ColumnarValue::Array(values) => ColumnarValue::Array(values.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_answer_like_postgres() {
        let context = SessionContext::new();
        register(&context);
        context
            .register_table("pg_settings", table().unwrap())
            .unwrap();
        let rows = context
            .sql(
                "SELECT (SELECT setting FROM pg_settings WHERE name = 'max_index_keys') AS keys, \
                 current_setting('server_version_num') AS num, \
                 current_setting('no_such_thing', true) AS missing, \
                 (SELECT set_config('bytea_output', 'hex', false) FROM pg_show_all_settings() \
                  WHERE name = 'bytea_output') AS bytea",
            )
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| 32   | 160006 |         | hex   |"),
            "{text}"
        );
        let error = context
            .sql("SELECT current_setting('no_such_thing')")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unrecognized configuration parameter")
        );
    }

    #[test]
    fn show_answers_server_wide_settings_only() {
        assert!(is_server_wide("server_version"));
        assert!(is_server_wide("MAX_INDEX_KEYS"));
        assert!(!is_server_wide("search_path"));
        assert!(!is_server_wide("DateStyle"));
        assert!(!is_server_wide("no_such_thing"));
    }
}
