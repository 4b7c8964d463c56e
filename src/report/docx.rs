//! `fundq report --format docx`: writes a gathered [`Report`] as a Word document (`docx-rs`),
//! for county reports that are submitted as Word files.
//!
//! It owns only the Word layout: the title and summary, one `Heading 1` per fund chapter, one
//! `Heading 2` per table, each table a real Word table (a bold header row, numbers
//! right-aligned, totals bold, ※ on flagged rows, rows not split across pages), and under each table its variances
//! with the note that explains them (or the labels' placeholder). Like the other renderers it
//! adds no arithmetic: every text comes from the `Report`. The charts are left out: Word shows
//! PNG or EMF, not the report's SVG, and rasterising them would need a font-aware SVG renderer
//! (resvg with its text stack) for this one format. The bytes depend only on the report (docx-rs
//! writes fixed document dates), and the file goes through [`write_file_atomically`].

use std::io::Write;
use std::path::Path;

use docx_rs::{
    AlignmentType, Docx, LineSpacing, Paragraph, Run, RunFonts, Style, StyleType,
    Table as WordTable, TableCell, TableRow, WidthType,
};

use super::{Chapter, Report, Table};
use crate::error::{Error, Result};
use crate::output::write_file_atomically;

/// The body font: a CJK font LibreOffice and Word both find (or substitute) for Chinese text.
const EAST_ASIA_FONT: &str = "Noto Serif CJK SC";
/// Half-points: 10.5 pt, the 五号 size of Chinese official documents.
const BODY_SIZE: usize = 21;
const TABLE_SIZE: usize = 18;

/// Writes the report to `output` as a `.docx` file.
pub fn docx(report: &Report, output: &Path) -> Result<()> {
    let mut bytes = Vec::new();
    document(report)
        .build()
        .pack(std::io::Cursor::new(&mut bytes))
        .map_err(|e| Error::Output(format!("docx: {e}")))?;
    write_file_atomically(output, |file| {
        file.write_all(&bytes).map_err(|e| Error::io(output, e))
    })
}

fn document(report: &Report) -> Docx {
    let mut doc = styled(Docx::new()).add_paragraph(
        Paragraph::new()
            .style("Title")
            .add_run(Run::new().add_text(&report.title)),
    );
    let mut subtitle = format!("{} {}", label(report, "region"), report.region_code);
    if let Some(as_of) = &report.as_of {
        subtitle.push_str(&format!(" · {} {as_of}", label(report, "as_of")));
    }
    doc = doc
        .add_paragraph(text_paragraph(&subtitle))
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(&report.summary).bold()))
        .add_paragraph(text_paragraph(&label(report, "summary_marker")));
    for chapter in &report.chapters {
        doc = add_chapter(doc, report, chapter);
    }
    doc
}

/// Heading and table styles; a document's own styles are what Word and LibreOffice show in
/// their navigator, so the headings are real outline levels, not bold paragraphs.
fn styled(doc: Docx) -> Docx {
    let fonts = || RunFonts::new().east_asia(EAST_ASIA_FONT);
    let heading = |id: &str, name: &str, size: usize, level: usize| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .based_on("Normal")
            .next("Normal")
            .size(size)
            .bold()
            .fonts(fonts())
            .outline_lvl(level)
            .line_spacing(LineSpacing::new().before(size as u32 * 8).after(60))
    };
    doc.default_fonts(fonts())
        .default_size(BODY_SIZE)
        .add_style(
            heading("Title", "Title", 36, 0)
                .outline_lvl(9)
                .align(AlignmentType::Center),
        )
        .add_style(heading("Heading1", "heading 1", 30, 0))
        .add_style(heading("Heading2", "heading 2", 24, 1))
}

fn add_chapter(mut doc: Docx, report: &Report, chapter: &Chapter) -> Docx {
    let separator = label(report, "chapter_separator");
    let heading = format!("{}{separator}{}", chapter.number, chapter.name);
    doc = doc.add_paragraph(
        Paragraph::new()
            .style("Heading1")
            .add_run(Run::new().add_text(heading)),
    );
    for table in &chapter.tables {
        doc = doc
            .add_paragraph(
                Paragraph::new()
                    .style("Heading2")
                    .add_run(Run::new().add_text(&table.title)),
            )
            .add_table(word_table(report, table));
        doc = add_variances(doc, report, table);
    }
    doc
}

fn word_table(report: &Report, table: &Table) -> WordTable {
    let flag = label(report, "flag");
    let header = TableRow::new(
        table
            .columns
            .iter()
            .map(|column| {
                cell(
                    &column.label,
                    true,
                    if column.numeric {
                        AlignmentType::Right
                    } else {
                        AlignmentType::Left
                    },
                )
            })
            .collect(),
    );
    let mut rows = vec![header];
    for row in &table.rows {
        let cells = row
            .cells
            .iter()
            .zip(&table.columns)
            .enumerate()
            .map(|(index, (value, column))| {
                let mut text = value.text.clone();
                if index == 0 {
                    // Full-width spaces indent a breakdown item, as in the HTML report.
                    text = format!("{}{text}", "　".repeat(row.level.max(0) as usize));
                    if row.flagged {
                        text = format!("{text} {flag}");
                    }
                }
                let align = if column.numeric {
                    AlignmentType::Right
                } else {
                    AlignmentType::Left
                };
                cell(&text, row.total, align)
            })
            .collect();
        rows.push(TableRow::new(cells).cant_split());
    }
    WordTable::new(rows).width(5000, WidthType::Pct)
}

fn cell(text: &str, bold: bool, align: AlignmentType) -> TableCell {
    let mut run = Run::new().add_text(text).size(TABLE_SIZE);
    if bold {
        run = run.bold();
    }
    TableCell::new().add_paragraph(Paragraph::new().align(align).add_run(run))
}

/// The explanations under a table: "1. item (measure figure %): note".
fn add_variances(mut doc: Docx, report: &Report, table: &Table) -> Docx {
    if table.variances.is_empty() {
        return doc;
    }
    let missing = label(report, "missing_note");
    doc = doc.add_paragraph(
        Paragraph::new().add_run(Run::new().add_text(label(report, "explanation_of")).bold()),
    );
    for (index, variance) in table.variances.iter().enumerate() {
        let note = match (&variance.note, &variance.draft) {
            (Some(note), _) => note.clone(),
            (None, Some(draft)) => format!("{missing} {draft}"),
            (None, None) => missing.clone(),
        };
        doc = doc.add_paragraph(text_paragraph(&format!(
            "{}. {}（{} {}%）：{note}",
            index + 1,
            variance.item_name,
            variance.measure,
            variance.figure
        )));
    }
    doc
}

fn text_paragraph(text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text))
}

/// A top-level label of the report's language, or the key itself.
fn label(report: &Report, key: &str) -> String {
    report.labels[key].as_str().unwrap_or(key).to_string()
}
