//! Writes a gathered [`Report`]: HTML and Markdown through the minijinja templates
//! `sql/report/report.html` and `sql/report/report.md` (read on every run, so wording and layout
//! change without a rebuild), xlsx with one sheet per table. Every file goes through
//! [`write_file_atomically`]; nothing here depends on the clock, so the same data gives the same
//! bytes.

use std::io::Write;
use std::path::Path;

use minijinja::Environment;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::{Chart, Report, Table};
use crate::error::{Error, Result};
use crate::output::write_file_atomically;

/// The HTML report, charts embedded as inline SVG.
pub fn html(templates: &Path, report: &Report, output: &Path) -> Result<()> {
    let text = render_template(templates, "report.html", report)?;
    write_text(output, &text)
}

/// The Markdown report and its charts as SVG files in the same folder.
pub fn markdown(templates: &Path, report: &Report, output: &Path) -> Result<()> {
    let text = render_template(templates, "report.md", report)?;
    let folder = output.parent().unwrap_or(Path::new(""));
    for chart in all_charts(report) {
        write_text(&folder.join(&chart.file), &chart.svg)?;
    }
    write_text(output, &text)
}

fn all_charts(report: &Report) -> impl Iterator<Item = &Chart> {
    report
        .charts
        .iter()
        .chain(report.chapters.iter().flat_map(|chapter| {
            chapter
                .tables
                .iter()
                .flat_map(|t| t.charts.iter())
                .chain(chapter.charts.iter())
        }))
}

/// Renders the minijinja template `folder/name` with `context` (trimmed blocks, as the
/// templates are written).
pub(super) fn render_template<T: serde::Serialize>(
    folder: &Path,
    name: &str,
    context: &T,
) -> Result<String> {
    let path = folder.join(name);
    let source = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let located = |e: minijinja::Error| Error::SqlFile {
        file: path.clone(),
        line: e.line().unwrap_or(1),
        message: format!("template: {e}"),
    };
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(located)?;
    env.set_syntax(syntax);
    env.add_template_owned(name.to_string(), source)
        .map_err(located)?;
    env.get_template(name)
        .and_then(|template| template.render(Serde(context)))
        .map_err(located)
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    write_file_atomically(path, |file| {
        file.write_all(text.as_bytes())
            .map_err(|e| Error::io(path, e))
    })
}

/// The workbook: a summary sheet, one sheet per table (numbers as numbers), the variances.
pub fn xlsx(report: &Report, output: &Path) -> Result<()> {
    let bytes = workbook(report).map_err(|e| Error::Output(format!("xlsx: {e}")))?;
    write_file_atomically(output, |file| {
        file.write_all(&bytes).map_err(|e| Error::io(output, e))
    })
}

fn workbook(report: &Report) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed creation time (the end of the report's year) keeps the bytes reproducible.
    let created = ExcelDateTime::from_ymd(report.year.clamp(1900, 9999) as u16, 12, 31)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&report.title)
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let summary = workbook.add_worksheet().set_name("summary")?;
    summary.write_string_with_format(0, 0, &report.title, &bold)?;
    summary.write_string(1, 0, &report.summary)?;
    for (index, chapter) in report.chapters.iter().enumerate() {
        for table in &chapter.tables {
            let name = sheet_name(index + 1, &table.key);
            let sheet = workbook.add_worksheet().set_name(&name)?;
            let title = format!("{} {}", chapter.name, table.title);
            write_table(sheet, &title, table, &bold)?;
        }
    }
    let variances = workbook.add_worksheet().set_name("variances")?;
    write_variances(variances, report, &bold)?;
    workbook.save_to_buffer()
}

/// `<chapter>-<table key>`, within Excel's 31 characters.
fn sheet_name(chapter: usize, key: &str) -> String {
    format!("{chapter}-{key}").chars().take(31).collect()
}

fn write_table(
    sheet: &mut Worksheet,
    title: &str,
    table: &Table,
    bold: &Format,
) -> std::result::Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, title, bold)?;
    for (c, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, &column.label, bold)?;
        sheet.set_column_width(c as u16, if c == 0 { 24 } else { 14 })?;
    }
    let formats: Vec<Option<Format>> = table
        .columns
        .iter()
        .map(|c| c.decimals.map(number_format))
        .collect();
    for (r, row) in table.rows.iter().enumerate() {
        let line = r as u32 + 2;
        for (c, cell) in row.cells.iter().enumerate() {
            match (&formats[c], cell.number) {
                (Some(format), Some(number)) => {
                    sheet.write_number_with_format(line, c as u16, number, format)?
                }
                _ => sheet.write_string(line, c as u16, &cell.text)?,
            };
        }
        if row.flagged {
            sheet.write_string(line, table.columns.len() as u16, "※")?;
        }
    }
    Ok(())
}

fn number_format(decimals: u32) -> Format {
    let pattern = match decimals {
        0 => "0".to_string(),
        n => format!("0.{}", "0".repeat(n as usize)),
    };
    Format::new().set_num_format(&pattern)
}

fn write_variances(
    sheet: &mut Worksheet,
    report: &Report,
    bold: &Format,
) -> std::result::Result<(), XlsxError> {
    let label = |key: &str| {
        report.labels["columns"][key]
            .as_str()
            .unwrap_or(key)
            .to_string()
    };
    let header = [
        "fund",
        "table",
        "item_name",
        "measure",
        "value",
        "note",
        "draft",
    ];
    for (c, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, label(name), bold)?;
    }
    let missing = report.labels["missing_note"].as_str().unwrap_or("");
    let mut line = 1;
    for chapter in &report.chapters {
        for table in &chapter.tables {
            for variance in &table.variances {
                sheet.write_string(line, 0, &chapter.name)?;
                sheet.write_string(line, 1, &table.title)?;
                sheet.write_string(line, 2, &variance.item_name)?;
                sheet.write_string(line, 3, &variance.measure)?;
                match variance.figure.parse::<f64>() {
                    Ok(number) => {
                        sheet.write_number_with_format(line, 4, number, &number_format(2))?
                    }
                    Err(_) => sheet.write_string(line, 4, &variance.figure)?,
                };
                sheet.write_string(line, 5, variance.note.as_deref().unwrap_or(missing))?;
                if let (None, Some(draft)) = (&variance.note, &variance.draft) {
                    sheet.write_string(line, 6, draft)?;
                }
                line += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(
            sheet_name(4, "insured_by_risk_class"),
            "4-insured_by_risk_class"
        );
        assert_eq!(sheet_name(12, &"x".repeat(40)).chars().count(), 31);
    }
}
