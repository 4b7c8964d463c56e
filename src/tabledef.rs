//! Table definitions: `sql/tables/<table>.sql`, one `CREATE TABLE` per importable table.
//!
//! A definition gives the columns, their types, which may be NULL, and the primary key. Import
//! validates every row against it; a user adds a table (for example a new dimension) by adding a
//! file. Tables without a definition can still be read (plain Parquet dropped into the data
//! folder) but not imported into.

use std::path::{Path, PathBuf};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Constraint;
use datafusion::execution::context::{SessionConfig, SessionContext};
use datafusion::logical_expr::{DdlStatement, LogicalPlan};

use crate::catalog::parse_single_statement;
use crate::error::{Error, Result, closest_names};

/// A line in a table definition that lets views read the table as empty until it is imported.
/// Other tables must exist: a missing ledger is an error, not an empty result.
pub const OPTIONAL_MARK: &str = "-- fundq: empty until imported";

/// The definition of one importable table.
#[derive(Debug, Clone)]
pub struct TableDef {
    pub name: String,
    pub path: PathBuf,
    pub schema: SchemaRef,
    /// Indices into `schema` of the primary-key columns (empty when the table has none).
    pub primary_key: Vec<usize>,
}

impl TableDef {
    /// Reads `sql/tables/<table>.sql`.
    pub async fn load(sql_dir: &Path, table: &str) -> Result<TableDef> {
        let dir = sql_dir.join("tables");
        let path = dir.join(format!("{table}.sql"));
        if !path.is_file() {
            let known = defined_tables(&dir);
            return Err(Error::UnknownName {
                kind: "importable table (a definition in sql/tables/)",
                name: table.to_string(),
                closest: closest_names(table, known.iter().map(String::as_str)),
            });
        }
        let sql = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        parse_single_statement(&sql, &path)?;
        let mut config = SessionConfig::new();
        // Imported strings are stored as plain UTF-8 columns, readable by every Parquet tool.
        config.options_mut().sql_parser.map_string_types_to_utf8view = false;
        let plan = SessionContext::new_with_config(config)
            .state()
            .create_logical_plan(&sql)
            .await
            .map_err(|e| Error::SqlFile {
                file: path.clone(),
                line: 1,
                message: Error::Query(e).to_string(),
            })?;
        let LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(create)) = plan else {
            return Err(Error::SqlFile {
                file: path,
                line: 1,
                message:
                    "a table definition is one `CREATE TABLE name (columns…, PRIMARY KEY (…))`"
                        .into(),
            });
        };
        let primary_key = create
            .constraints
            .iter()
            .find_map(|c| match c {
                Constraint::PrimaryKey(indices) => Some(indices.clone()),
                Constraint::Unique(_) => None,
            })
            .unwrap_or_default();
        Ok(TableDef {
            name: table.to_string(),
            path,
            schema: create.input.schema().inner().clone(),
            primary_key,
        })
    }

    /// Whether `sql/tables/<table>.sql` exists and is marked [`OPTIONAL_MARK`]: a table such as
    /// `note` that views may read before anything was imported into it.
    pub fn is_optional(sql_dir: &Path, table: &str) -> bool {
        let path = sql_dir.join("tables").join(format!("{table}.sql"));
        std::fs::read_to_string(path)
            .map(|sql| sql.lines().any(|line| line.trim() == OPTIONAL_MARK))
            .unwrap_or(false)
    }

    /// Names of the primary-key columns.
    pub fn key_columns(&self) -> Vec<&str> {
        self.primary_key
            .iter()
            .map(|&i| self.schema.field(i).name().as_str())
            .collect()
    }
}

fn defined_tables(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".sql").map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}
