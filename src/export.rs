//! `fundq export`: views materialised as files for file-based BI tools (Excel, Power BI,
//! Tableau extracts), one file per view.
//!
//! An export is all or nothing: every file is written into a new folder beside the target, and
//! only when all of them are complete does that folder take the target's place. A failed or
//! interrupted export leaves the previous one as it was.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::ValueEnum;
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::catalog::{parse_reference, relation_name};
use crate::error::{Error, Result};
use crate::output::{OutputFormat, write_rows};
use crate::session::Session;
use crate::workspace::Workspace;

/// File format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ExportFormat {
    /// One Parquet file per view; decimals stay exact decimals.
    #[default]
    Parquet,
    /// One CSV file per view, UTF-8 with a header row.
    Csv,
    /// One workbook per view; amounts are numbers formatted with their decimal places.
    Xlsx,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// Writes each view (all latest versions when `views` is empty) to `to/<view>.<ext>`.
///
/// Views named explicitly must all succeed. With no names, views whose tables are missing are
/// skipped and listed on stderr, as `fundq views` shows them unavailable.
pub async fn export(
    workspace: &Workspace,
    to: &Path,
    format: ExportFormat,
    views: &[String],
) -> Result<Vec<PathBuf>> {
    let mut session = Session::open(workspace)?;
    let explicit = !views.is_empty();
    let references: Vec<String> = if explicit {
        views.to_vec()
    } else {
        session
            .catalog()
            .views()
            .map(|(name, _)| name.clone())
            .collect()
    };
    let staging = staging_folder(to)?;
    let mut written = Vec::new();
    for reference in &references {
        let (name, version) = parse_reference(reference)?;
        let view = session.catalog().view(name, version)?.clone();
        let frame = match session.view_frame(&view).await {
            Ok(frame) => frame,
            Err(e @ Error::ViewUnavailable { .. }) if !explicit => {
                eprintln!("skipped: {e}");
                continue;
            }
            Err(e) => return Err(e),
        };
        let file_stem = match version {
            Some(v) => relation_name(&view.name, v),
            None => view.name.clone(),
        };
        let file = staging
            .path()
            .join(format!("{file_stem}.{}", format.extension()));
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        write_view(format, &schema, &batches, &file)?;
        written.push(to.join(file.file_name().unwrap_or_default()));
    }
    replace_folder(staging, to)?;
    Ok(written)
}

fn write_view(
    format: ExportFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    file: &Path,
) -> Result<()> {
    match format {
        ExportFormat::Parquet => write_rows(OutputFormat::Parquet, schema, batches, Some(file)),
        ExportFormat::Csv => write_rows(OutputFormat::Csv, schema, batches, Some(file)),
        ExportFormat::Xlsx => {
            let bytes = workbook(schema, batches)
                .map_err(|e| Error::Output(format!("{}: {e}", file.display())))?;
            std::fs::write(file, bytes).map_err(|e| Error::io(file, e))
        }
    }
}

/// One sheet: a header row, then the rows. Decimals become numbers shown with their scale
/// (exact for amounts below 2^53 cents, about 90 trillion yuan); NULL stays an empty cell.
fn workbook(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = Format::new().set_bold();
    for (column, field) in schema.fields().iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, field.name(), &bold)?;
    }
    let options = FormatOptions::default();
    let mut row = 1u32;
    for batch in batches {
        for (column, array) in batch.columns().iter().enumerate() {
            let number_format = match array.data_type() {
                DataType::Decimal128(_, scale) if *scale > 0 => {
                    Some(Format::new().set_num_format(format!("0.{}", "0".repeat(*scale as usize))))
                }
                _ => None,
            };
            let text = ArrayFormatter::try_new(array.as_ref(), &options)
                .map_err(|e| XlsxError::ParameterError(e.to_string()))?;
            for index in 0..array.len() {
                if array.is_null(index) {
                    continue;
                }
                let cell = text.value(index).to_string();
                let (r, c) = (row + index as u32, column as u16);
                match (array.data_type().is_numeric(), cell.parse::<f64>()) {
                    (true, Ok(number)) => match &number_format {
                        Some(format) => sheet.write_number_with_format(r, c, number, format)?,
                        None => sheet.write_number(r, c, number)?,
                    },
                    _ => sheet.write_string(r, c, &cell)?,
                };
            }
        }
        row += batch.num_rows() as u32;
    }
    workbook.save_to_buffer()
}

/// A new, empty folder beside `to`, removed again if the export fails.
fn staging_folder(to: &Path) -> Result<tempfile::TempDir> {
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::Usage(format!(
            "cannot export to {}: the folder {} does not exist; create it first",
            to.display(),
            parent.display()
        )));
    }
    if to.exists() && !to.is_dir() {
        return Err(Error::Usage(format!(
            "cannot export to {}: it is a file, not a folder",
            to.display()
        )));
    }
    tempfile::Builder::new()
        .prefix(".fundq-export-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))
}

/// Puts the finished export in place of the old one: the old folder is moved aside first and
/// deleted only after the new one is in place, so at every moment one complete export exists
/// (under `to`, or, for the instant between the two renames, under the moved-aside name).
fn replace_folder(staging: tempfile::TempDir, to: &Path) -> Result<()> {
    let staged = staging.keep();
    make_shareable(&staged)?;
    let previous = to.exists().then(|| {
        let mut name = to.as_os_str().to_owned();
        name.push(".previous-export");
        PathBuf::from(name)
    });
    if let Some(previous) = &previous {
        if previous.exists() {
            std::fs::remove_dir_all(previous).map_err(|e| Error::io(previous, e))?;
        }
        std::fs::rename(to, previous).map_err(|e| Error::io(to, e))?;
    }
    if let Err(e) = std::fs::rename(&staged, to) {
        if let Some(previous) = &previous {
            let _ = std::fs::rename(previous, to);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(Error::io(to, e));
    }
    if let Some(previous) = previous {
        std::fs::remove_dir_all(&previous).map_err(|e| Error::io(&previous, e))?;
    }
    Ok(())
}

/// Temporary folders are created private (0700); an export is meant to be shared.
#[cfg(unix)]
fn make_shareable(folder: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(folder, e))
}

#[cfg(not(unix))]
fn make_shareable(_folder: &Path) -> Result<()> {
    Ok(())
}
