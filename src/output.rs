//! Output formats shared by every command that prints rows (`run`, `sql`, `tables`, …).
//!
//! One [`OutputFormat`] enum, one [`write_rows`] entry point. Text formats go to stdout or a
//! file; binary formats (Parquet, Arrow IPC) refuse to write to a terminal. A file is written
//! to a temporary name beside it and renamed into place, so a failed or interrupted write never
//! leaves a half-written file where a good one was.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::{csv, ipc, json};
use datafusion::parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};

/// How rows are printed or saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Aligned table for people (Chinese text aligned by display width).
    #[default]
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON array of objects; decimals are exact JSON numbers.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Apache Parquet file (binary).
    Parquet,
    /// Apache Arrow IPC file (binary).
    Arrow,
}

impl OutputFormat {
    fn is_binary(self) -> bool {
        matches!(self, OutputFormat::Parquet | OutputFormat::Arrow)
    }
}

/// Writes `batches` in `format` to `output`, or to stdout when `output` is `None`.
pub fn write_rows(
    format: OutputFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    output: Option<&Path>,
) -> Result<()> {
    match output {
        Some(path) => write_file_atomically(path, |file| encode(format, schema, batches, file)),
        None => {
            let stdout = std::io::stdout();
            if format.is_binary() && stdout.is_terminal() {
                return Err(Error::Usage(format!(
                    "refusing to write {format:?} (binary) to a terminal; add --output FILE or redirect stdout to a file"
                )));
            }
            let mut lock = stdout.lock();
            encode(format, schema, batches, &mut lock)?;
            lock.flush().map_err(|e| Error::Output(e.to_string()))
        }
    }
}

/// Writes a file through a temporary file in the same folder and an atomic rename.
pub fn write_file_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(Error::Output(format!(
            "cannot write {}: the folder {} does not exist; create it first",
            path.display(),
            folder.display()
        )));
    }
    let mut temp = tempfile::NamedTempFile::new_in(folder).map_err(|e| Error::io(folder, e))?;
    readable_by_others(temp.as_file(), path)?;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Temporary files are created private (0600); an output file (a report, an export, the lock
/// file) is meant to be shared like any other, so it gets the usual 0644.
#[cfg(unix)]
fn readable_by_others(file: &std::fs::File, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn readable_by_others(_file: &std::fs::File, _path: &Path) -> Result<()> {
    Ok(())
}

fn encode(
    format: OutputFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    out: &mut dyn Write,
) -> Result<()> {
    // With no rows, still write the header (CSV) or schema (Parquet, Arrow).
    let batches = if batches.is_empty() {
        vec![RecordBatch::new_empty(schema.clone())]
    } else {
        batches
            .iter()
            .map(|batch| conform(batch, schema))
            .collect::<Result<_>>()?
    };
    let batches = &batches[..];
    match format {
        OutputFormat::Table => {
            writeln!(out, "{}", render_table(schema, batches)?)
                .map_err(|e| Error::Output(e.to_string()))?;
        }
        OutputFormat::Csv => {
            let mut writer = csv::WriterBuilder::new().with_header(true).build(out);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = json::ArrayWriter::new(out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        OutputFormat::Ndjson => {
            let mut writer = json::LineDelimitedWriter::new(out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        OutputFormat::Parquet => {
            // ArrowWriter needs a `Send` sink; stdout's lock is not, so encode into memory first.
            let mut buffer = Vec::new();
            let mut writer = ArrowWriter::try_new(&mut buffer, schema.clone(), None)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.close()?;
            out.write_all(&buffer)
                .map_err(|e| Error::Output(e.to_string()))?;
        }
        OutputFormat::Arrow => {
            let mut writer = ipc::writer::FileWriter::try_new(out, schema)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
    }
    Ok(())
}

/// A batch with exactly the columns the plan declared. DataFusion 55 can widen a decimal while
/// executing (`SUM` next to `COUNT(DISTINCT …)` yields Decimal128(38, 2) where the plan says
/// (28, 2)); the Parquet and Arrow writers refuse such a batch, and a file's types must be the
/// ones `fundq show` prints. The cast is checked, so a value that does not fit is an error.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    // `safe: false`: a value that does not fit is an error, never a silent NULL.
    let checked = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast_with_options(column, field.data_type(), &checked))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Renders rows as an aligned table; numbers are right-aligned, NULL is left blank.
pub fn render_table(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(schema.fields().iter().map(|f| f.name().as_str()));
    let options = FormatOptions::default().with_null("");
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            table.add_row(formatters.iter().map(|f| f.value(row).to_string()));
        }
    }
    for (index, field) in schema.fields().iter().enumerate() {
        if is_numeric(field.data_type())
            && let Some(column) = table.column_mut(index)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    Ok(table.to_string())
}

fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Decimal128Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn sample() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("item_name", DataType::Utf8, false),
            Field::new("actual_wan", DataType::Decimal128(18, 2), true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["利息收入", "total"])),
                Arc::new(
                    Decimal128Array::from(vec![Some(220640), None])
                        .with_precision_and_scale(18, 2)
                        .unwrap(),
                ),
            ],
        )
        .unwrap();
        (schema, batch)
    }

    #[test]
    fn table_aligns_wide_characters() {
        let (schema, batch) = sample();
        let text = render_table(&schema, &[batch]).unwrap();
        let widths: Vec<usize> = text
            .lines()
            .map(|l| l.chars().map(|c| if c > '\u{2fff}' { 2 } else { 1 }).sum())
            .collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(text.contains("2206.40"));
    }

    #[test]
    fn json_keeps_decimals_exact() {
        let (schema, batch) = sample();
        let mut out = Vec::new();
        encode(OutputFormat::Json, &schema, &[batch], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""actual_wan":2206.40"#), "{text}");
    }
}
