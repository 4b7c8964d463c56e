//! Input files for `fundq import`: one header and rows of text cells, read a chunk at a time.
//!
//! [`inspect`] reads the file once to hash it and tell its kind and text encoding; a
//! [`RowReader`] then streams its rows, so a CSV of any size is read with bounded memory (an
//! xlsx sheet is read whole: Excel caps a sheet at about a million rows).
//!
//! Reads CSV (UTF-8 with or without BOM, else GB18030/GBK, which covers what Chinese spreadsheets
//! are saved as) and Excel `.xlsx` sheets (calamine). Headers may be the table's column names or
//! a Chinese alias from `sql/import/header_aliases.csv` (年度 → year, …). Two shapes are turned
//! into the long layout (one amount per row) here:
//! - scenario columns: `budget` / `actual` / `adjusted_budget` (预算数, 实际数, …) side by side
//!   become one row each, with `scenario` and `amount`;
//! - the wide layout of the report's own tables: item names as columns, rows labelled
//!   预算数 / 实际执行数 / 上年同期 (`sql/import/wide_rows.csv`), region, year and fund given on
//!   the command line.
//!
//! Every row keeps the row number a person sees in the file, and a cell reshaped from the wide
//! layout keeps its column's name, so problems point at the right cell. This module knows
//! nothing about column types or codes; `import` checks the values.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use encoding_rs::{DecoderResult, Encoding};
use encoding_rs_io::DecodeReaderBytesBuilder;
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::period::Period;

/// Scenario names that may appear as columns of a long file.
const SCENARIO_COLUMNS: [&str; 3] = ["budget", "adjusted_budget", "actual"];

/// A file read as text: column names (aliases resolved) and rows.
#[derive(Debug, Default)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Rows that could not be read at all (a CSV row with the wrong number of fields).
    pub problems: Vec<String>,
}

/// One row: the row number in the file (header = 1) and its cells, one per header.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
    /// For a cell reshaped from the wide layout: the file column it came from.
    pub source_column: Option<String>,
}

/// The wide layout's fixed coordinates, given on the command line.
#[derive(Debug, Clone)]
pub struct WideLayout {
    pub region_code: String,
    pub year: i32,
    pub fund_code: String,
    /// A period table (社预执行表) of this month or quarter: items down the first column,
    /// 当期执行数 / 累计执行数 / 上年同期累计执行数 across (see [`reshape_period_table`]).
    pub period: Option<Period>,
}

/// What [`inspect`] learnt about a file before its rows are read.
#[derive(Debug, Clone)]
pub struct FileFacts {
    /// SHA-256 of the file's bytes, recorded with the commit for `fundq history`.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    kind: FileKind,
}

#[derive(Debug, Clone, Copy)]
enum FileKind {
    Xlsx,
    /// CSV text in this encoding (UTF-8, with or without BOM, or GB18030).
    Csv(&'static Encoding),
}

/// Reads `file` once, in blocks: hashes it, and tells an xlsx workbook (by extension or
/// content) from CSV text, whose encoding is UTF-8 when every byte decodes as UTF-8, else
/// GB18030 (which covers GBK and GB2312). Text that is neither, or only whitespace, is refused.
pub fn inspect(file: &Path) -> Result<FileFacts> {
    let mut reader = File::open(file).map_err(|e| Error::io(file, e))?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    let mut utf8 = TextCheck::new(encoding_rs::UTF_8);
    let (mut size, mut first_bytes, mut only_whitespace) = (0u64, Vec::new(), true);
    loop {
        let read = reader.read(&mut block).map_err(|e| Error::io(file, e))?;
        if read == 0 {
            break;
        }
        let mut bytes = &block[..read];
        hasher.update(bytes);
        if size == 0 {
            first_bytes = bytes[..bytes.len().min(4)].to_vec();
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        size += read as u64;
        only_whitespace &= bytes.iter().all(u8::is_ascii_whitespace);
        utf8.feed(bytes, false);
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let kind = if is_xlsx(file, &first_bytes) {
        FileKind::Xlsx
    } else if only_whitespace {
        return Err(invalid(
            file,
            vec![format!("{}: the file is empty", file.display())],
        ));
    } else if utf8.feed(&[], true) {
        FileKind::Csv(encoding_rs::UTF_8)
    } else if decodes_cleanly(file, encoding_rs::GB18030)? {
        FileKind::Csv(encoding_rs::GB18030)
    } else {
        return Err(not_text(file));
    };
    Ok(FileFacts { sha256, size, kind })
}

fn not_text(file: &Path) -> Error {
    invalid(
        file,
        vec![format!(
            "{}: is neither UTF-8 nor GBK/GB18030 text, nor an .xlsx workbook; save it as CSV (UTF-8)",
            file.display()
        )],
    )
}

/// Whether the whole file decodes in `encoding` without a malformed sequence or a NUL.
fn decodes_cleanly(file: &Path, encoding: &'static Encoding) -> Result<bool> {
    let mut reader = File::open(file).map_err(|e| Error::io(file, e))?;
    let mut check = TextCheck::new(encoding);
    let mut block = vec![0u8; 1 << 20];
    loop {
        let read = reader.read(&mut block).map_err(|e| Error::io(file, e))?;
        if read == 0 {
            return Ok(check.feed(&[], true));
        }
        if !check.feed(&block[..read], false) {
            return Ok(false);
        }
    }
}

/// Decodes text block by block (a character may straddle two blocks) and remembers whether
/// any of it was malformed or a NUL, which no text file people type contains.
struct TextCheck {
    decoder: encoding_rs::Decoder,
    decoded: Vec<u8>,
    clean: bool,
}

impl TextCheck {
    fn new(encoding: &'static Encoding) -> TextCheck {
        TextCheck {
            decoder: encoding.new_decoder_without_bom_handling(),
            decoded: vec![0u8; 1 << 16],
            clean: true,
        }
    }

    /// Feeds the next block (`last`: the end of the file); false once anything was not clean.
    fn feed(&mut self, mut bytes: &[u8], last: bool) -> bool {
        while self.clean {
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(bytes, &mut self.decoded, last);
            self.clean = !self.decoded[..written].contains(&0);
            bytes = &bytes[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(..) => self.clean = false,
            }
        }
        self.clean
    }
}

/// The rows of an input file, a chunk at a time, with column names resolved (aliases) and
/// scenario columns turned into rows.
pub struct RowReader {
    file: PathBuf,
    headers: Vec<String>,
    unpivot: Option<Unpivot>,
    source: RowSource,
    /// Problems found before the first chunk (they are returned with it).
    pending_problems: Vec<String>,
}

enum RowSource {
    Csv {
        reader: csv::Reader<Box<dyn Read>>,
        record: csv::StringRecord,
        next_number: usize,
    },
    Rows(std::vec::IntoIter<Row>),
}

/// Some rows of a file, and the rows among them that could not be read at all (a CSV row
/// with the wrong number of fields).
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<Row>,
    pub problems: Vec<String>,
}

impl RowReader {
    /// Opens `file` as [`inspect`] described it. `progress` follows the bytes read.
    pub fn open(
        file: &Path,
        facts: &FileFacts,
        sheet: Option<&str>,
        sql_dir: &Path,
        progress: &ProgressBar,
    ) -> Result<RowReader> {
        let (mut headers, source, problems) = match facts.kind {
            FileKind::Xlsx => {
                let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
                progress.inc(bytes.len() as u64);
                let sheet = read_xlsx(file, &bytes, sheet)?;
                (
                    sheet.headers,
                    RowSource::Rows(sheet.rows.into_iter()),
                    sheet.problems,
                )
            }
            FileKind::Csv(encoding) => {
                if sheet.is_some() {
                    return Err(Error::Usage(format!(
                        "--sheet applies to .xlsx workbooks; {} is read as CSV",
                        file.display()
                    )));
                }
                let (headers, source) = open_csv(file, encoding, progress)?;
                (headers, source, Vec::new())
            }
        };
        let aliases = header_aliases(sql_dir)?;
        for header in &mut headers {
            if let Some(column) = aliases.get(header.as_str()) {
                *header = column.clone();
            }
        }
        let unpivot = Unpivot::for_headers(&headers);
        Ok(RowReader {
            file: file.to_path_buf(),
            headers,
            unpivot,
            source,
            pending_problems: problems,
        })
    }

    /// Rows already in memory (the reshaped wide layout).
    pub fn from_sheet(file: &Path, sheet: Sheet) -> RowReader {
        RowReader {
            file: file.to_path_buf(),
            headers: sheet.headers,
            unpivot: None,
            source: RowSource::Rows(sheet.rows.into_iter()),
            pending_problems: sheet.problems,
        }
    }

    /// The column names of the rows this reader returns.
    pub fn headers(&self) -> &[String] {
        match &self.unpivot {
            Some(unpivot) => &unpivot.headers,
            None => &self.headers,
        }
    }

    /// Up to `size` more file rows (a row with scenario columns may give several); `None` at
    /// the end of the file.
    pub fn next_chunk(&mut self, size: usize) -> Result<Option<Chunk>> {
        let mut chunk = Chunk {
            rows: Vec::new(),
            problems: std::mem::take(&mut self.pending_problems),
        };
        let mut consumed = 0;
        while consumed < size {
            let row = match &mut self.source {
                RowSource::Rows(rows) => rows.next().map(Ok),
                RowSource::Csv {
                    reader,
                    record,
                    next_number,
                } => next_csv_row(&self.file, reader, record, next_number)?,
            };
            match row {
                None => break,
                Some(Ok(row)) => chunk.rows.push(row),
                Some(Err(problem)) => chunk.problems.push(problem),
            }
            consumed += 1;
        }
        if consumed == 0 && chunk.problems.is_empty() {
            return Ok(None);
        }
        if let Some(unpivot) = &self.unpivot {
            chunk.rows = unpivot.apply(chunk.rows);
        }
        Ok(Some(chunk))
    }

    /// Every remaining row in memory (the wide layout, which is report-sized).
    pub fn read_all(mut self) -> Result<Sheet> {
        let mut sheet = Sheet {
            headers: self.headers().to_vec(),
            ..Sheet::default()
        };
        while let Some(chunk) = self.next_chunk(usize::MAX)? {
            sheet.rows.extend(chunk.rows);
            sheet.problems.extend(chunk.problems);
        }
        Ok(sheet)
    }
}

fn is_xlsx(file: &Path, first_bytes: &[u8]) -> bool {
    let by_name = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"));
    by_name || first_bytes.starts_with(b"PK\x03\x04")
}

/// A CSV reader over the file's text, decoded as it is read (a UTF-8 BOM is dropped).
fn open_csv(
    file: &Path,
    encoding: &'static Encoding,
    progress: &ProgressBar,
) -> Result<(Vec<String>, RowSource)> {
    let bytes = File::open(file).map_err(|e| Error::io(file, e))?;
    let text = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .build(progress.wrap_read(bytes));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(Box::new(text) as Box<dyn Read>);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| invalid(file, vec![format!("{}: header: {e}", file.display())]))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    refuse_other_delimiters(file, &headers)?;
    let source = RowSource::Csv {
        reader,
        record: csv::StringRecord::new(),
        next_number: 2,
    };
    Ok((headers, source))
}

/// The next CSV row; `Err(problem)` for a row that cannot be read (wrong number of fields).
fn next_csv_row(
    file: &Path,
    reader: &mut csv::Reader<Box<dyn Read>>,
    record: &mut csv::StringRecord,
    next_number: &mut usize,
) -> Result<Option<std::result::Result<Row, String>>> {
    let number = *next_number;
    *next_number += 1;
    match reader.read_record(record) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(Ok(Row {
            number,
            cells: record.iter().map(|c| c.trim().to_string()).collect(),
            source_column: None,
        }))),
        Err(e) if e.is_io_error() => Err(Error::io(file, std::io::Error::other(e.to_string()))),
        Err(e) => Ok(Some(Err(format!("{}: row {number}: {e}", file.display())))),
    }
}

/// A header read as one column full of `;` or tabs is a file saved with another delimiter.
fn refuse_other_delimiters(file: &Path, headers: &[String]) -> Result<()> {
    let [only] = headers else {
        return Ok(());
    };
    for (delimiter, name) in [(';', "semicolons"), ('\t', "tabs"), ('|', "bars")] {
        if only.contains(delimiter) {
            return Err(invalid(
                file,
                vec![format!(
                    "{}: header: columns are separated by {name}; fundq reads comma-separated CSV \
                     (in Excel: Save As → CSV UTF-8 (comma delimited)), or import the .xlsx itself",
                    file.display()
                )],
            ));
        }
    }
    Ok(())
}

/// The file's text: UTF-8 (with or without BOM), else GB18030 (which covers GBK and GB2312).
pub(crate) fn decode_text<'a>(file: &Path, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, str>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(invalid(
            file,
            vec![format!("{}: the file is empty", file.display())],
        ));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors || text.contains('\0') {
        return Err(not_text(file));
    }
    Ok(text)
}

fn read_xlsx(file: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<Sheet> {
    let unreadable = |e: &dyn std::fmt::Display| {
        invalid(
            file,
            vec![format!(
                "{}: is not a readable .xlsx workbook ({e}); re-save it from Excel or export CSV",
                file.display()
            )],
        )
    };
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes.to_vec())).map_err(|e| unreadable(&e))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) if names.iter().any(|n| n == wanted) => wanted.to_string(),
        Some(wanted) => {
            return Err(Error::Usage(format!(
                "{} has no sheet `{wanted}`; its sheets: {}",
                file.display(),
                names.join(", ")
            )));
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| unreadable(&"it has no sheets"))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| unreadable(&e))?;
    // Row numbers as Excel shows them: the range may start below row 1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize) + 1;
    let mut rows = range.rows().enumerate();
    let Some((_, header)) = rows.next() else {
        return Err(invalid(
            file,
            vec![format!("{}: sheet `{name}` is empty", file.display())],
        ));
    };
    let mut sheet = Sheet {
        headers: header.iter().map(cell_text).collect(),
        ..Sheet::default()
    };
    for (index, cells) in rows {
        let cells: Vec<String> = cells.iter().map(cell_text).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        sheet.rows.push(Row {
            number: first_row + index,
            cells,
            source_column: None,
        });
    }
    Ok(sheet)
}

/// A cell as the text a person typed: numbers in their shortest exact decimal form (Excel keeps
/// them as binary doubles, and the shortest round-trip form is the number that was entered).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(d) | Data::DurationIso(d) => d.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Chinese (or other) header names from `sql/import/header_aliases.csv` (alias,column).
fn header_aliases(sql_dir: &Path) -> Result<HashMap<String, String>> {
    let path = sql_dir.join("import").join("header_aliases.csv");
    read_pairs(&path, 2).map(|rows| {
        rows.into_iter()
            .map(|mut r| (r.remove(0), r.remove(0)))
            .collect()
    })
}

/// The rows of a small CSV settings file with at least `columns` columns; none when it is absent.
fn read_pairs(path: &Path, columns: usize) -> Result<Vec<Vec<String>>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader = csv::Reader::from_path(path).map_err(|e| Error::SqlFile {
        file: path.to_path_buf(),
        line: 1,
        message: e.to_string(),
    })?;
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::SqlFile {
            file: path.to_path_buf(),
            line: index + 2,
            message: e.to_string(),
        })?;
        if record.len() < columns {
            return Err(Error::SqlFile {
                file: path.to_path_buf(),
                line: index + 2,
                message: format!("expected {columns} columns"),
            });
        }
        rows.push(record.iter().map(|c| c.trim().to_string()).collect());
    }
    Ok(rows)
}

/// `budget` / `actual` / `adjusted_budget` columns side by side become one row per filled cell,
/// with `scenario` and `amount` columns.
struct Unpivot {
    scenario_columns: Vec<usize>,
    kept: Vec<usize>,
    original_headers: Vec<String>,
    /// The headers of the rows it returns: the kept columns, then scenario and amount.
    headers: Vec<String>,
}

impl Unpivot {
    /// `None` when the file has no scenario columns, or already has a `scenario` column.
    fn for_headers(headers: &[String]) -> Option<Unpivot> {
        let scenario_columns: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| SCENARIO_COLUMNS.contains(&h.as_str()))
            .map(|(i, _)| i)
            .collect();
        if scenario_columns.is_empty() || headers.iter().any(|h| h == "scenario") {
            return None;
        }
        let kept: Vec<usize> = (0..headers.len())
            .filter(|i| !scenario_columns.contains(i))
            .collect();
        let mut long_headers: Vec<String> = kept.iter().map(|&i| headers[i].clone()).collect();
        long_headers.extend(["scenario".to_string(), "amount".to_string()]);
        Some(Unpivot {
            scenario_columns,
            kept,
            original_headers: headers.to_vec(),
            headers: long_headers,
        })
    }

    fn apply(&self, rows: Vec<Row>) -> Vec<Row> {
        let mut long = Vec::with_capacity(rows.len() * self.scenario_columns.len());
        for row in &rows {
            for &column in &self.scenario_columns {
                let amount = row.cells.get(column).cloned().unwrap_or_default();
                if amount.is_empty() {
                    continue;
                }
                let scenario = &self.original_headers[column];
                let mut cells: Vec<String> = self
                    .kept
                    .iter()
                    .map(|&i| row.cells.get(i).cloned().unwrap_or_default())
                    .collect();
                cells.extend([scenario.clone(), amount]);
                long.push(Row {
                    number: row.number,
                    cells,
                    source_column: Some(scenario.clone()),
                });
            }
        }
        long
    }
}

/// Reshapes the wide layout: the first column labels each row (预算数, 实际执行数, 上年同期, …),
/// every other column is an item (by name or code). Each filled cell becomes one long row with
/// region_code, year, fund_code, item_code, scenario, amount. Rows whose label is not a scenario
/// (执行率, 增长率: derived figures) and total columns (合计, 总收入, …) are left out and
/// listed in the returned notes.
pub fn reshape_wide(
    file: &Path,
    sheet: Sheet,
    layout: &WideLayout,
    sql_dir: &Path,
) -> Result<(Sheet, Vec<String>)> {
    let labels: HashMap<String, (String, i32)> =
        read_pairs(&sql_dir.join("import").join("wide_rows.csv"), 3)?
            .into_iter()
            .map(|r| {
                let offset = r[2].parse().unwrap_or(0);
                (r[0].clone(), (r[1].clone(), offset))
            })
            .collect();
    let mut notes = Vec::new();
    let item_columns: Vec<usize> = (1..sheet.headers.len())
        .filter(|&i| {
            let total = is_total_label(&sheet.headers[i]);
            if total {
                notes.push(format!(
                    "column `{}` is a total; totals are derived, not stored, so it is left out",
                    sheet.headers[i]
                ));
            }
            !total && !sheet.headers[i].is_empty()
        })
        .collect();
    let mut rows = Vec::new();
    let mut problems = sheet.problems;
    for row in &sheet.rows {
        let label = row.cells.first().map(String::as_str).unwrap_or("");
        let Some((scenario, offset)) = labels.get(label) else {
            if label.contains('率') {
                notes.push(format!(
                    "row {} (`{label}`) is a derived rate and is left out",
                    row.number
                ));
            } else {
                problems.push(format!(
                    "{}: row {}, column {}: `{label}` is not a row label of the wide layout; expected one of {} (sql/import/wide_rows.csv)",
                    file.display(),
                    row.number,
                    sheet.headers.first().map(String::as_str).unwrap_or("1"),
                    sorted_keys(&labels)
                ));
            }
            continue;
        };
        for &column in &item_columns {
            let amount = row.cells.get(column).cloned().unwrap_or_default();
            if amount.is_empty() {
                continue;
            }
            rows.push(Row {
                number: row.number,
                cells: vec![
                    layout.region_code.clone(),
                    (layout.year + offset).to_string(),
                    layout.fund_code.clone(),
                    sheet.headers[column].clone(),
                    scenario.clone(),
                    amount,
                ],
                source_column: Some(sheet.headers[column].clone()),
            });
        }
    }
    let headers = [
        "region_code",
        "year",
        "fund_code",
        "item_code",
        "scenario",
        "amount",
    ];
    Ok((long_sheet(&headers, rows, problems), notes))
}

/// A reshaped file: its long-layout headers, rows and the problems met on the way.
fn long_sheet(headers: &[&str], rows: Vec<Row>, problems: Vec<String>) -> Sheet {
    Sheet {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
        problems,
    }
}

/// Reshapes a period execution table (社预执行表) of `layout.period`: the first column names the
/// item, the other columns are labelled as in `sql/import/period_columns.csv` (当期执行数 →
/// amount, 累计执行数 → cumulative, 上年同期累计执行数 → the cumulative of the same period a
/// year before). Each item row becomes a `ledger_period` row (region_code, period, fund_code,
/// item_code, amount, cumulative), plus one for the year before where that column is filled.
/// Budget columns (年预算数, 调整后预算数: the annual ledger holds budgets), derived rates
/// (预算执行进度, 增长) and total rows (合计, 总收入, …) are left out and listed in the notes.
pub fn reshape_period_table(
    file: &Path,
    sheet: Sheet,
    layout: &WideLayout,
    period: Period,
    sql_dir: &Path,
) -> Result<(Sheet, Vec<String>)> {
    let labels: HashMap<String, (String, i32)> =
        read_pairs(&sql_dir.join("import").join("period_columns.csv"), 3)?
            .into_iter()
            .map(|r| (r[0].clone(), (r[1].clone(), r[2].parse().unwrap_or(0))))
            .collect();
    let mut notes = Vec::new();
    let mut problems = sheet.problems;
    // (file column, amount or cumulative, year offset)
    let mut columns = Vec::new();
    for (i, header) in sheet.headers.iter().enumerate().skip(1) {
        match labels.get(header) {
            Some((target, offset)) => columns.push((i, target.as_str(), *offset)),
            None if header.contains("预算") && !header.contains("进度") => notes.push(format!(
                "column `{header}` is a budget; budgets are the annual ledger's (import them with \
                 --table ledger), so it is left out"
            )),
            None if header.contains('率') || header.contains("进度") || header.contains("增长") => {
                notes.push(format!(
                    "column `{header}` is a derived rate and is left out"
                ))
            }
            None if header.is_empty() => {}
            None => problems.push(format!(
                "{}: header: column `{header}` is not a column of the period table; expected one \
                 of {} (sql/import/period_columns.csv), a budget or a rate",
                file.display(),
                sorted_keys(&labels)
            )),
        }
    }
    let mut rows = Vec::new();
    for row in &sheet.rows {
        let item = row.cells.first().map(String::as_str).unwrap_or("");
        if is_total_label(item) {
            notes.push(format!(
                "row {} (`{item}`) is a total; totals are derived, not stored, so it is left out",
                row.number
            ));
            continue;
        }
        for offset in [0, -1] {
            let period = if offset == 0 {
                period
            } else {
                period.year_before()
            };
            let value = |target: &str| {
                columns
                    .iter()
                    .find(|(_, t, o)| *t == target && *o == offset)
                    .and_then(|(i, _, _)| row.cells.get(*i).cloned())
                    .unwrap_or_default()
            };
            let (amount, cumulative) = (value("amount"), value("cumulative"));
            if item.is_empty() || (amount.is_empty() && cumulative.is_empty()) {
                continue;
            }
            rows.push(Row {
                number: row.number,
                cells: vec![
                    layout.region_code.clone(),
                    period.to_string(),
                    layout.fund_code.clone(),
                    item.to_string(),
                    amount,
                    cumulative,
                ],
                source_column: None,
            });
        }
    }
    let headers = [
        "region_code",
        "period",
        "fund_code",
        "item_code",
        "amount",
        "cumulative",
    ];
    Ok((long_sheet(&headers, rows, problems), notes))
}

fn is_total_label(header: &str) -> bool {
    matches!(
        header,
        "合计" | "总计" | "小计" | "总收入" | "总支出" | "收入合计" | "支出合计" | "total"
    )
}

fn sorted_keys<V>(map: &HashMap<String, V>) -> String {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort();
    keys.join(", ")
}

fn invalid(file: &Path, problems: Vec<String>) -> Error {
    Error::InvalidInput {
        file: file.to_path_buf(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(headers: &[&str], rows: &[&[&str]]) -> Sheet {
        Sheet {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| Row {
                    number: i + 2,
                    cells: cells.iter().map(|c| c.to_string()).collect(),
                    source_column: None,
                })
                .collect(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn scenario_columns_become_rows() {
        let wide = sheet(
            &["year", "item_code", "budget", "actual", "unit"],
            &[&["2022", "interest", "2260", "2206.40", "万元"]],
        );
        let unpivot = Unpivot::for_headers(&wide.headers).unwrap();
        assert_eq!(
            unpivot.headers,
            ["year", "item_code", "unit", "scenario", "amount"]
        );
        let long = unpivot.apply(wide.rows);
        assert_eq!(long.len(), 2);
        assert_eq!(
            long[1].cells,
            ["2022", "interest", "万元", "actual", "2206.40"]
        );
        assert_eq!(long[1].number, 2);
    }

    #[test]
    fn excel_numbers_read_as_typed() {
        assert_eq!(cell_text(&Data::Float(36463.16)), "36463.16");
        assert_eq!(cell_text(&Data::Float(2022.0)), "2022");
        assert_eq!(cell_text(&Data::Float(0.1 + 0.2)), "0.30000000000000004");
    }

    #[test]
    fn other_delimiters_are_named() {
        let err = refuse_other_delimiters(Path::new("x.csv"), &["a;b;c".to_string()]);
        assert!(err.unwrap_err().to_string().contains("semicolons"));
        assert!(refuse_other_delimiters(Path::new("x.csv"), &["a".to_string()]).is_ok());
    }
}
