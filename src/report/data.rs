//! Runs the report's SQL files (`sql/report/`) with `$region`, `$year` (and `$period`) bound and turns their
//! rows into text cells. Every figure comes from SQL; this file only reads and formats values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::ScalarValue;

use crate::error::{Error, Result};
use crate::session::Session;

/// The rows of one report query, every value as display text (`None` for NULL).
pub struct Records {
    pub path: PathBuf,
    pub columns: Vec<(String, DataType)>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Records {
    /// The index of a column the report needs; an error naming the file when it is missing.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| Error::SqlFile {
                file: self.path.clone(),
                line: 1,
                message: format!(
                    "the report needs a column `{name}`; the query returns: {}",
                    self.columns
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// The text of `column` in `row`, or "" for NULL.
    pub fn text(&self, row: usize, column: usize) -> &str {
        self.rows[row][column].as_deref().unwrap_or("")
    }
}

/// The values a report query may use: `$region`, `$year` and, in a period report, `$period`.
pub struct Bindings {
    pub region: String,
    pub year: i32,
    pub period: Option<String>,
}

impl Bindings {
    fn value(&self, name: &str) -> Option<String> {
        match name {
            "region" => Some(self.region.clone()),
            "year" => Some(self.year.to_string()),
            "period" => self.period.clone(),
            _ => None,
        }
    }

    fn names(&self) -> &'static str {
        match self.period {
            Some(_) => "$region, $year and $period",
            None => "$region and $year",
        }
    }
}

/// Runs the SQL file at `path` with the report's values bound (see [`Bindings`]).
pub async fn run_file(session: &mut Session, path: &Path, bindings: &Bindings) -> Result<Records> {
    let sql = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let frame = session.sql_frame(&sql, path).await?;
    let expected = frame.logical_plan().get_parameter_types()?;
    let mut values = HashMap::new();
    for (placeholder, data_type) in &expected {
        let name = placeholder.trim_start_matches('$');
        let Some(text) = bindings.value(name) else {
            return Err(Error::SqlFile {
                file: path.to_path_buf(),
                line: crate::catalog::first_line_mentioning(&sql, name),
                message: format!("a report query can use {}, not ${name}", bindings.names()),
            });
        };
        let data_type = data_type.clone().ok_or_else(|| Error::SqlFile {
            file: path.to_path_buf(),
            line: crate::catalog::first_line_mentioning(&sql, name),
            message: format!("cannot tell the type of ${name}; compare it with a column"),
        })?;
        let value = ScalarValue::try_from_string(text, &data_type)?;
        values.insert(name.to_string(), value);
    }
    let frame = frame.with_param_values(values)?;
    let columns = frame
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    let batches = frame.collect().await?;
    Ok(Records {
        path: path.to_path_buf(),
        columns,
        rows: texts(&batches)?,
    })
}

fn texts(batches: &[RecordBatch]) -> Result<Vec<Vec<Option<String>>>> {
    let options = FormatOptions::default();
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        // Logical nulls: a `NULL AS x` column is a NullArray, which has no null buffer.
        let nulls: Vec<_> = batch.columns().iter().map(|c| c.logical_nulls()).collect();
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .zip(&nulls)
                    .map(|(f, nulls)| {
                        let is_null = nulls.as_ref().is_some_and(|n| n.is_null(row));
                        (!is_null).then(|| f.value(row).to_string())
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// The SQL files of a folder in name order (`10_enrollment.sql` before `20_budget_income.sql`).
pub fn sql_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(folder).map_err(|e| Error::io(folder, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(folder, e))?.path();
        if path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// A report table's key: its file name without the number and extension
/// (`20_budget_income.sql` → `budget_income`).
pub fn table_key(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.split_once('_') {
        Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) => rest.to_string(),
        _ => stem,
    }
}

/// The number of decimals a column's values print with (0 for integers, None for text).
pub fn decimals(data_type: &DataType) -> Option<u32> {
    match data_type {
        DataType::Decimal128(_, scale) | DataType::Decimal256(_, scale) => {
            Some((*scale).max(0) as u32)
        }
        t if t.is_integer() => Some(0),
        t if t.is_floating() => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_key_drops_the_number() {
        assert_eq!(
            table_key(Path::new("sql/report/tables/20_budget_income.sql")),
            "budget_income"
        );
        assert_eq!(table_key(Path::new("trend_balance.sql")), "trend_balance");
    }

    #[test]
    fn decimals_follow_the_column_type() {
        assert_eq!(decimals(&DataType::Decimal128(18, 2)), Some(2));
        assert_eq!(decimals(&DataType::Int64), Some(0));
        assert_eq!(decimals(&DataType::Utf8), None);
    }
}
