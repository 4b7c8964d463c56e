//! Import: files typed by people, validated row by row, committed atomically.
//!
//! [`crate::input`] reads the file (CSV or xlsx, long or wide layout) into text rows; here each
//! cell is checked against the table's column (see `sql/tables/`): an amount given as `amount`
//! plus a unit (元, 万元, 亿元; a `unit` column or `--unit`) fills a `…_yuan` column with exact
//! yuan, and fund and item names are turned into codes through the dimension tables. Every row is
//! checked and every problem is reported at once, with file, row, column, value and what was
//! expected; nothing is written unless all rows are valid, or, with `--reject FILE`, the valid
//! rows are written and the invalid ones go to FILE with their reasons. A write is one Delta
//! commit: a process killed midway leaves the table as it was.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, BooleanBuilder, Decimal128Builder, Int32Builder, Int64Array,
    Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::logical_expr::Expr;
use datafusion::prelude::{cast, col};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::catalog::{sql_files_in, sql_relations};
use crate::error::{Error, Result, closest_names};
use crate::input::{self, Row, Sheet, WideLayout};
use crate::output;
use crate::session::Session;
use crate::storage::{self, WriteMode};
use crate::tabledef::TableDef;
use crate::workspace::Workspace;

/// How an import treats rows already in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportMode {
    /// Add the rows; a key that is already stored is an error.
    Append,
    /// Replace the (region, year, scenario) slices present in the file; the whole table when it
    /// has none of those columns.
    Replace,
}

/// How to read and write one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub mode: ImportMode,
    /// Validate and report, write nothing.
    pub dry_run: bool,
    /// The xlsx sheet to read (default: the first).
    pub sheet: Option<String>,
    /// The unit of `amount` columns when the file has no `unit` column.
    pub unit: Option<String>,
    /// Read the report's wide layout (items as columns) for this region, year and fund.
    pub wide: Option<WideLayout>,
    /// Write the valid rows and put the invalid ones, with their reasons, in this file.
    pub reject: Option<PathBuf>,
}

impl ImportOptions {
    pub fn new(mode: ImportMode) -> ImportOptions {
        ImportOptions {
            mode,
            dry_run: false,
            sheet: None,
            unit: None,
            wide: None,
            reject: None,
        }
    }
}

/// What one import did (or, with a dry run, would do).
#[derive(Debug)]
pub struct ImportSummary {
    pub table: String,
    pub rows: usize,
    /// Rows written to the `--reject` file.
    pub rejected: usize,
    /// The new table version, `None` for a dry run or when nothing was written.
    pub version: Option<u64>,
    /// Things left out on purpose (totals and rates of the wide layout).
    pub notes: Vec<String>,
}

/// Columns that cut a table into the slices `--mode replace` swaps out.
const SLICE_COLUMNS: [&str; 3] = ["region_code", "year", "scenario"];

/// Validates `file` against the definition of `table` and, unless a dry run, commits it.
pub async fn import_file(
    workspace: &Workspace,
    file: &Path,
    table: &str,
    options: &ImportOptions,
) -> Result<ImportSummary> {
    let definition = TableDef::load(&workspace.sql_dir, table).await?;
    let progress = progress_bar();
    progress.set_message(format!("reading {}", file.display()));
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let mut sheet = input::read(file, &bytes, options.sheet.as_deref(), &workspace.sql_dir)?;
    progress.set_message(format!("checking {} row(s)", sheet.rows.len()));
    let mut notes = Vec::new();
    if let Some(layout) = &options.wide {
        (sheet, notes) = input::reshape_wide(file, sheet, layout, &workspace.sql_dir)?;
    }
    let mut problems =
        codes_from_names(workspace, file, &mut sheet, options.wide.is_some()).await?;
    let parsed = parse_sheet(file, &sheet, &definition, options.unit.as_deref())?;
    problems.extend(parsed.problems.iter().cloned());
    // The version every check reads; the commit lands on exactly this version or not at all.
    let read_version = storage::latest_version(table, &workspace.data_dir.join(table)).await?;
    progress.set_message("checking the import rules and stored keys");
    problems.extend(rule_problems(workspace, file, &parsed, &definition).await?);
    let table_path = workspace.data_dir.join(table);
    if options.mode == ImportMode::Append && table_path.join("_delta_log").is_dir() {
        problems.extend(stored_key_problems(workspace, file, &parsed, &definition).await?);
    }
    problems.sort_by_key(|p| row_of_problem(p));
    let (batch, rejected) = match (&options.reject, problems.is_empty()) {
        (_, true) => (parsed.batch, 0),
        (Some(reject_file), false) => {
            let invalid_rows = rows_with_problems(file, &problems)?;
            write_rejects(reject_file, &sheet, &problems, &invalid_rows)?;
            (without_rows(&parsed, &invalid_rows)?, invalid_rows.len())
        }
        (None, false) => return Err(invalid(file, problems)),
    };
    let rows = batch.num_rows();
    let summary = |version| ImportSummary {
        table: table.to_string(),
        rows,
        rejected,
        version,
        notes: notes.clone(),
    };
    if options.dry_run || rows == 0 {
        return Ok(summary(None));
    }
    let write_mode = match options.mode {
        ImportMode::Append => WriteMode::Append,
        ImportMode::Replace => replace_predicate(&batch)?,
    };
    let metadata = vec![
        ("fundq.source_file".to_string(), file_name(file).into()),
        ("fundq.source_sha256".to_string(), sha256_hex(&bytes).into()),
        ("fundq.rows".to_string(), rows.into()),
    ];
    progress.set_message(format!("writing {rows} row(s) to `{table}`"));
    let written = storage::commit(
        table,
        &table_path,
        vec![batch],
        write_mode,
        metadata,
        read_version,
    )
    .await?;
    progress.finish_and_clear();
    Ok(summary(written.version()))
}

/// A spinner on stderr naming the step an import is in; indicatif draws nothing when stderr is
/// not a terminal (CI, pipes), and it is cleared when the import ends, successfully or not.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        .with_finish(ProgressFinish::AndClear);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// The file rows named by row-level problems; a problem with no row (a header problem) means
/// the file cannot be imported at all, `--reject` or not.
fn rows_with_problems(file: &Path, problems: &[String]) -> Result<BTreeSet<usize>> {
    let file_level: Vec<String> = problems
        .iter()
        .filter(|p| row_of_problem(p) == 0)
        .cloned()
        .collect();
    if !file_level.is_empty() {
        return Err(invalid(file, file_level));
    }
    Ok(problems.iter().map(|p| row_of_problem(p)).collect())
}

/// The parsed rows minus those of `invalid_rows`.
fn without_rows(parsed: &Parsed, invalid_rows: &BTreeSet<usize>) -> Result<RecordBatch> {
    let keep = BooleanArray::from(
        parsed
            .rows
            .iter()
            .map(|row| !invalid_rows.contains(row))
            .collect::<Vec<_>>(),
    );
    Ok(filter_record_batch(&parsed.batch, &keep)?)
}

/// Writes the invalid rows as CSV: the file's columns, its row number and the reasons.
fn write_rejects(
    path: &Path,
    sheet: &Sheet,
    problems: &[String],
    invalid_rows: &BTreeSet<usize>,
) -> Result<()> {
    let mut reasons: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
    for problem in problems {
        reasons
            .entry(row_of_problem(problem))
            .or_default()
            .push(problem.as_str());
    }
    output::write_file_atomically(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        let mut header = vec!["file_row".to_string()];
        header.extend(sheet.headers.iter().cloned());
        header.push("problem".to_string());
        writer.write_record(&header).map_err(csv_error)?;
        let mut written = BTreeSet::new();
        for row in &sheet.rows {
            if !invalid_rows.contains(&row.number)
                || !written.insert((row.number, row.cells.clone()))
            {
                continue;
            }
            let mut record = vec![row.number.to_string()];
            record.extend(row.cells.iter().cloned());
            record.push(
                reasons
                    .get(&row.number)
                    .map(|r| r.join("; "))
                    .unwrap_or_default(),
            );
            writer.write_record(&record).map_err(csv_error)?;
        }
        writer.flush().map_err(|e| Error::Output(e.to_string()))
    })
}

fn csv_error(e: csv::Error) -> Error {
    Error::Output(e.to_string())
}

/// Fund and item names (企业职工基本养老保险, 利息收入) become their codes through the `fund`
/// and `item` tables. In the wide layout, where item columns are names, an unknown name is a
/// problem that lists the closest known names; in the long layout unknown codes are left to the
/// import rules.
async fn codes_from_names(
    workspace: &Workspace,
    file: &Path,
    sheet: &mut Sheet,
    wide: bool,
) -> Result<Vec<String>> {
    let mut session = Session::open(workspace)?;
    let mut problems = Vec::new();
    let fund_column = sheet.headers.iter().position(|h| h == "fund_code");
    if let Some(fund) = fund_column.filter(|_| session.tables().contains_key("fund")) {
        let names = name_table(&mut session, "fund", &["fund_code"]).await?;
        for row in &mut sheet.rows {
            let cell = &mut row.cells[fund];
            if let Some(code) = names.get(&(String::new(), cell.clone())) {
                *cell = code.clone();
            }
        }
    }
    let item_column = sheet.headers.iter().position(|h| h == "item_code");
    let (Some(item), Some(fund)) = (item_column, fund_column) else {
        return Ok(problems);
    };
    if !session.tables().contains_key("item") {
        return Ok(problems);
    }
    let names = name_table(&mut session, "item", &["fund_code", "item_code"]).await?;
    let known: HashSet<(String, String)> = names
        .iter()
        .map(|((fund, _), code)| (fund.clone(), code.clone()))
        .collect();
    for row in &mut sheet.rows {
        let key = (row.cells[fund].clone(), row.cells[item].clone());
        if known.contains(&key) {
            continue;
        }
        if let Some(code) = names.get(&key) {
            row.cells[item] = code.clone();
        } else if wide {
            let of_fund = names
                .keys()
                .filter(|(f, _)| *f == key.0)
                .map(|(_, name)| name.as_str());
            let closest = closest_names(&key.1, of_fund);
            problems.push(format!(
                "{}: row {}, column {}: `{}` is not an item of fund {} (by name or code){}",
                file.display(),
                row.number,
                row.source_column.as_deref().unwrap_or("item_code"),
                key.1,
                key.0,
                match closest.first() {
                    Some(name) => format!("; did you mean `{name}`?"),
                    None => String::new(),
                }
            ));
        }
    }
    Ok(problems)
}

/// (scope, name_zh) → code of a dimension table: scope is the fund for items, empty for funds.
/// Both the name and the code itself map to the code.
async fn name_table(
    session: &mut Session,
    table: &str,
    key: &[&str],
) -> Result<HashMap<(String, String), String>> {
    let code_column = key[key.len() - 1];
    let mut columns: Vec<Expr> = key
        .iter()
        .map(|c| cast(col(*c), DataType::Utf8).alias(*c))
        .collect();
    columns.push(cast(col("name_zh"), DataType::Utf8).alias("name_zh"));
    let batches = session
        .table_frame(table)
        .await?
        .select(columns)?
        .collect()
        .await?;
    let mut names = HashMap::new();
    for batch in &batches {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .map(|c| c.as_string::<i32>().clone())
        };
        let (Some(code), Some(name)) = (text(code_column), text("name_zh")) else {
            continue;
        };
        let scope = (key.len() == 2).then(|| text(key[0])).flatten();
        for row in 0..batch.num_rows() {
            let scope = scope
                .as_ref()
                .map(|s| s.value(row).to_string())
                .unwrap_or_default();
            names.insert(
                (scope, name.value(row).to_string()),
                code.value(row).to_string(),
            );
        }
    }
    Ok(names)
}

/// The rows of a file that passed the type checks, and the problems of those that did not.
struct Parsed {
    /// Valid rows in the table's schema.
    batch: RecordBatch,
    /// The file row (header = 1) of each row of `batch`.
    rows: Vec<usize>,
    problems: Vec<String>,
}

/// Checks every cell of the file's rows against the table's column types.
fn parse_sheet(
    file: &Path,
    sheet: &Sheet,
    definition: &TableDef,
    file_unit: Option<&str>,
) -> Result<Parsed> {
    let plan = ColumnPlan::new(file, &sheet.headers, definition, file_unit)?;
    let mut columns: Vec<ColumnBuilder> = definition
        .schema
        .fields()
        .iter()
        .map(|f| ColumnBuilder::new(f))
        .collect();
    let mut rows = Vec::new();
    let mut problems = sheet.problems.clone();
    let mut first_row_of_key = std::collections::HashMap::new();
    for row in &sheet.rows {
        let number = row.number;
        if let Some(key) = plan.key_text(row, file_unit)
            && let Some(first) = first_row_of_key.insert(key.clone(), number)
        {
            problems.push(format!(
                "{}: row {number}: key ({}) repeats row {first}: ({key}); each key appears once per file",
                file.display(),
                definition.key_columns().join(", "),
            ));
        }
        let mut values = Vec::with_capacity(plan.sources.len());
        for (target, source) in plan.sources.iter().enumerate() {
            let cell = source.read(row, file_unit);
            match parse_cell(definition.schema.field(target), &cell) {
                Ok(value) => values.push(value),
                Err(expected) => problems.push(format!(
                    "{}: row {number}, column {}: `{}` {expected}",
                    file.display(),
                    row.source_column
                        .clone()
                        .filter(|_| matches!(
                            source,
                            Source::AmountWithUnit { .. } | Source::AmountInFileUnit { .. }
                        ))
                        .unwrap_or_else(|| source.column_label(&sheet.headers)),
                    cell.text
                )),
            }
        }
        if values.len() == columns.len() {
            for (column, value) in columns.iter_mut().zip(values) {
                column.append(value);
            }
            rows.push(number);
        }
    }
    if problems.is_empty() && rows.is_empty() {
        problems.push(format!(
            "{}: the file has a header but no rows; nothing to import",
            file.display()
        ));
    }
    let arrays: Vec<ArrayRef> = columns.into_iter().map(ColumnBuilder::finish).collect();
    Ok(Parsed {
        batch: RecordBatch::try_new(definition.schema.clone(), arrays)?,
        rows,
        problems,
    })
}

/// The row a problem message names (`…: row 7, …`), for listing problems in file order.
fn row_of_problem(problem: &str) -> usize {
    problem
        .split(": row ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

fn invalid(file: &Path, problems: Vec<String>) -> Error {
    Error::InvalidInput {
        file: file.to_path_buf(),
        problems,
    }
}

/// Where each table column's value comes from in the file.
struct ColumnPlan {
    sources: Vec<Source>,
    /// Indices into `sources` of the primary-key columns.
    key_sources: Vec<usize>,
}

enum Source {
    /// The cell of the file column with this index.
    Column(usize),
    /// An amount column and a unit column, converted to exact yuan.
    AmountWithUnit { amount: usize, unit: usize },
    /// An amount column in the unit given for the whole file (`--unit`).
    AmountInFileUnit { amount: usize },
    /// Not in the file: NULL.
    Missing,
}

struct Cell {
    text: String,
    unit: Option<String>,
}

impl ColumnPlan {
    fn new(
        file: &Path,
        headers: &[String],
        definition: &TableDef,
        file_unit: Option<&str>,
    ) -> Result<ColumnPlan> {
        let position = |name: &str| headers.iter().position(|h| h == name);
        let mut used = BTreeSet::new();
        let mut problems = Vec::new();
        let mut sources = Vec::new();
        for field in definition.schema.fields() {
            let source = match position(field.name()) {
                Some(i) => Source::Column(i),
                None => match (is_yuan(field), position("amount"), position("unit")) {
                    (true, Some(amount), Some(unit)) => Source::AmountWithUnit { amount, unit },
                    (true, Some(amount), None) if file_unit.is_some() => {
                        Source::AmountInFileUnit { amount }
                    }
                    _ if field.is_nullable() => Source::Missing,
                    _ => {
                        problems.push(format!(
                            "{}: header: column `{}` is missing{}",
                            file.display(),
                            field.name(),
                            if is_yuan(field) {
                                " (or give `amount` and `unit` columns, or `amount` and --unit)"
                            } else {
                                ""
                            }
                        ));
                        Source::Missing
                    }
                },
            };
            match source {
                Source::Column(i) => {
                    used.insert(i);
                }
                Source::AmountWithUnit { amount, unit } => {
                    used.extend([amount, unit]);
                }
                Source::AmountInFileUnit { amount } => {
                    used.insert(amount);
                }
                Source::Missing => {}
            }
            sources.push(source);
        }
        let key_sources = definition.primary_key.clone();
        for (i, header) in headers.iter().enumerate() {
            if !used.contains(&i) {
                problems.push(format!(
                    "{}: header: column `{header}` is not a column of table `{}` (its columns: {})",
                    file.display(),
                    definition.name,
                    definition
                        .schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if problems.is_empty() {
            Ok(ColumnPlan {
                sources,
                key_sources,
            })
        } else {
            Err(invalid(file, problems))
        }
    }
}

impl ColumnPlan {
    /// The row's primary key as typed, or `None` when the table has no key.
    fn key_text(&self, row: &Row, file_unit: Option<&str>) -> Option<String> {
        if self.key_sources.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .key_sources
            .iter()
            .map(|&i| self.sources[i].read(row, file_unit).text)
            .collect();
        Some(parts.join(", "))
    }
}

impl Source {
    fn read(&self, row: &Row, file_unit: Option<&str>) -> Cell {
        let get = |i: usize| row.cells.get(i).cloned().unwrap_or_default();
        match self {
            Source::Column(i) => Cell {
                text: get(*i),
                unit: None,
            },
            Source::AmountWithUnit { amount, unit } => Cell {
                text: get(*amount),
                unit: Some(get(*unit)),
            },
            Source::AmountInFileUnit { amount } => Cell {
                text: get(*amount),
                unit: file_unit.map(str::to_string),
            },
            Source::Missing => Cell {
                text: String::new(),
                unit: None,
            },
        }
    }

    fn column_label(&self, headers: &[String]) -> String {
        match self {
            Source::Column(i) => headers[*i].clone(),
            Source::AmountWithUnit { amount, .. } | Source::AmountInFileUnit { amount } => {
                headers[*amount].clone()
            }
            Source::Missing => "(missing)".into(),
        }
    }
}

fn is_yuan(field: &Field) -> bool {
    field.name().ends_with("_yuan") && matches!(field.data_type(), DataType::Decimal128(_, 2))
}

/// Accumulates one column's values, checking each against the column's type.
enum ColumnBuilder {
    Text(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Boolean(BooleanBuilder),
    Decimal(Decimal128Builder),
}

impl ColumnBuilder {
    fn new(field: &Field) -> ColumnBuilder {
        match field.data_type() {
            DataType::Int32 => ColumnBuilder::Int32(Int32Builder::new()),
            DataType::Int64 => ColumnBuilder::Int64(Int64Builder::new()),
            DataType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::new()),
            DataType::Decimal128(precision, scale) => ColumnBuilder::Decimal(
                Decimal128Builder::new()
                    .with_precision_and_scale(*precision, *scale)
                    .expect("precision and scale come from a valid table definition"),
            ),
            _ => ColumnBuilder::Text(StringBuilder::new()),
        }
    }

    fn append(&mut self, value: Value) {
        match (self, value) {
            (ColumnBuilder::Text(b), Value::Text(v)) => b.append_value(v),
            (ColumnBuilder::Int32(b), Value::Int(v)) => b.append_value(v as i32),
            (ColumnBuilder::Int64(b), Value::Int(v)) => b.append_value(v),
            (ColumnBuilder::Boolean(b), Value::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Decimal(b), Value::Fen(v)) => b.append_value(v),
            (ColumnBuilder::Text(b), _) => b.append_null(),
            (ColumnBuilder::Int32(b), _) => b.append_null(),
            (ColumnBuilder::Int64(b), _) => b.append_null(),
            (ColumnBuilder::Boolean(b), _) => b.append_null(),
            (ColumnBuilder::Decimal(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Int32(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Boolean(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(mut b) => Arc::new(b.finish()),
        }
    }
}

/// One checked cell, typed for its column.
enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Fen(i128),
}

/// Checks one cell against its column, or says what was expected instead.
fn parse_cell(field: &Field, cell: &Cell) -> std::result::Result<Value, String> {
    if cell.text.is_empty() {
        return if field.is_nullable() {
            Ok(Value::Null)
        } else {
            Err("is empty; a value is required".into())
        };
    }
    Ok(match field.data_type() {
        DataType::Int32 => Value::Int(i64::from(parse_integer::<i32>(&cell.text)?)),
        DataType::Int64 => Value::Int(parse_integer(&cell.text)?),
        DataType::Boolean => Value::Bool(parse_bool(&cell.text)?),
        DataType::Decimal128(precision, _) => {
            let unit = match &cell.unit {
                Some(u) => parse_unit(u, field.name())?,
                None => Unit::YUAN,
            };
            Value::Fen(parse_amount(&cell.text, unit, *precision)?)
        }
        _ => Value::Text(cell.text.clone()),
    })
}

/// A money unit: how many places to shift a stated amount to get yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub yuan_exponent: u32,
}

impl Unit {
    pub const YUAN: Unit = Unit { yuan_exponent: 0 };
}

/// Parses 元, 万元 or 亿元 (optionally `/月` for monthly amounts, which only `monthly_…` columns take).
pub fn parse_unit(text: &str, column: &str) -> std::result::Result<Unit, String> {
    let (base, per_month) = match text.strip_suffix("/月") {
        Some(base) => (base, true),
        None => (text, false),
    };
    if per_month != column.starts_with("monthly_") {
        return Err(if per_month {
            format!("has unit `{text}`, a monthly amount, but column `{column}` is not monthly")
        } else {
            format!("has unit `{text}`; column `{column}` holds monthly amounts, write `元/月`")
        });
    }
    let yuan_exponent = match base {
        "元" | "yuan" => 0,
        "万元" | "wan" => 4,
        "亿元" | "yi" => 8,
        other => {
            return Err(format!(
                "has unknown unit `{other}`; expected 元, 万元 or 亿元"
            ));
        }
    };
    Ok(Unit { yuan_exponent })
}

/// Parses a stated amount into exact fen (yuan × 100) for a `DECIMAL(precision, 2)` column.
///
/// Accepts thousand separators, full-width digits and `(123.45)` for negatives; refuses NaN,
/// infinities, exponents and anything that is not a whole number of fen after the unit shift.
pub fn parse_amount(text: &str, unit: Unit, precision: u8) -> std::result::Result<i128, String> {
    let normalized = normalize_number(text);
    let (negative, digits) = match normalized
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
    {
        Some(inner) => (true, inner.to_string()),
        None => match normalized.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, normalized.trim_start_matches('+').to_string()),
        },
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let well_formed = !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit());
    if !well_formed {
        return Err("is not an amount; expected a number such as 1234.56".into());
    }
    let overflow = || format!("is too large for DECIMAL({precision},2) yuan");
    let stated: i128 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| overflow())?;
    // value in fen = stated × 10^(unit exponent + 2) / 10^(decimals stated)
    let scale_up = unit.yuan_exponent + 2;
    let decimals = fraction.len() as u32;
    let fen = if decimals <= scale_up {
        stated
            .checked_mul(10i128.pow(scale_up - decimals))
            .ok_or_else(overflow)?
    } else {
        let divisor = 10i128.pow(decimals - scale_up);
        if stated % divisor != 0 {
            return Err("has more than 2 decimals of yuan (amounts are exact to the fen)".into());
        }
        stated / divisor
    };
    if fen >= 10i128.pow(u32::from(precision)) {
        return Err(overflow());
    }
    Ok(if negative { -fen } else { fen })
}

/// Full-width digits and punctuation to ASCII; thousand separators removed.
fn normalize_number(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '．' => Some('.'),
            '－' => Some('-'),
            '（' => Some('('),
            '）' => Some(')'),
            ',' | '，' | ' ' | '\u{a0}' => None,
            other => Some(other),
        })
        .collect()
}

fn parse_integer<T: std::str::FromStr>(text: &str) -> std::result::Result<T, String> {
    normalize_number(text)
        .parse()
        .map_err(|_| "is not a whole number".to_string())
}

fn parse_bool(text: &str) -> std::result::Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" | "是" => Ok(true),
        "false" | "f" | "no" | "n" | "0" | "否" => Ok(false),
        _ => Err("is not a yes/no value; expected true or false".into()),
    }
}

/// In append mode, keys the table already holds are refused (a correction is `--mode replace`).
async fn stored_key_problems(
    workspace: &Workspace,
    file: &Path,
    parsed: &Parsed,
    definition: &TableDef,
) -> Result<Vec<String>> {
    if definition.primary_key.is_empty() {
        return Ok(Vec::new());
    }
    let mut session = Session::open(workspace)?;
    let stored = session
        .table_frame(&definition.name)
        .await?
        .collect()
        .await?;
    let mut stored_keys = HashSet::new();
    for stored_batch in &stored {
        stored_keys.extend(key_strings(stored_batch, definition)?);
    }
    Ok(key_strings(&parsed.batch, definition)?
        .into_iter()
        .zip(&parsed.rows)
        .filter(|(key, _)| stored_keys.contains(key))
        .map(|(key, row)| {
            format!(
                "{}: row {row}: key ({key}) is already stored in table `{}`; to correct stored figures use --mode replace",
                file.display(),
                definition.name
            )
        })
        .collect())
}

/// Runs the rules of `sql/import/<table>/*.sql` over the valid rows, registered as `incoming`
/// with their file row in `_row`. A rule returns one row per problem with the columns
/// `file_row`, `file_column`, `value` and `expected`. A rule that reads a table the data folder
/// does not have yet (say, `fund` before the first fund is imported) is skipped with a note.
async fn rule_problems(
    workspace: &Workspace,
    file: &Path,
    parsed: &Parsed,
    definition: &TableDef,
) -> Result<Vec<String>> {
    let rules = sql_files_in(&workspace.sql_dir.join("import").join(&definition.name))?;
    if rules.is_empty() || parsed.rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut session = Session::open(workspace)?;
    session.register_batch("incoming", with_row_numbers(parsed)?)?;
    let mut problems = Vec::new();
    for rule in rules {
        let sql = std::fs::read_to_string(&rule).map_err(|e| Error::io(&rule, e))?;
        let missing = sql_relations(&sql, &rule)?
            .into_iter()
            .find(|r| !session.has_relation(&r.name));
        if let Some(missing) = missing {
            eprintln!(
                "note: rule {} skipped: table `{}` is not in the data folder yet",
                rule.display(),
                missing.name
            );
            continue;
        }
        let found = session.sql_frame(&sql, &rule).await?.collect().await?;
        for batch in &found {
            problems.extend(rule_rows(file, &rule, batch)?);
        }
    }
    Ok(problems)
}

fn rule_rows(file: &Path, rule: &Path, batch: &RecordBatch) -> Result<Vec<String>> {
    let options = FormatOptions::default().with_null("");
    let column = |name: &str| {
        let array = batch.column_by_name(name).ok_or_else(|| Error::SqlFile {
            file: rule.to_path_buf(),
            line: 1,
            message: format!(
                "an import rule returns the columns file_row, file_column, value, expected; `{name}` is missing"
            ),
        })?;
        Ok::<_, Error>(ArrayFormatter::try_new(array.as_ref(), &options)?)
    };
    let (row, name, value, expected) = (
        column("file_row")?,
        column("file_column")?,
        column("value")?,
        column("expected")?,
    );
    Ok((0..batch.num_rows())
        .map(|i| {
            format!(
                "{}: row {}, column {}: `{}` {}",
                file.display(),
                row.value(i),
                name.value(i),
                value.value(i),
                expected.value(i)
            )
        })
        .collect())
}

/// The valid rows plus `_row`, their row number in the file.
fn with_row_numbers(parsed: &Parsed) -> Result<RecordBatch> {
    let mut fields: Vec<Field> = parsed
        .batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("_row", DataType::Int64, false));
    let mut columns = parsed.batch.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(
        parsed.rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
    )));
    Ok(RecordBatch::try_new(
        Arc::new(datafusion::arrow::datatypes::Schema::new(fields)),
        columns,
    )?)
}

/// Each row's primary key rendered as text (`640121, 2022, …`).
fn key_strings(batch: &RecordBatch, definition: &TableDef) -> Result<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let formatters = definition
        .key_columns()
        .iter()
        .map(|name| {
            let column = batch.column_by_name(name).ok_or_else(|| Error::Table {
                table: definition.name.clone(),
                path: definition.path.clone(),
                message: format!("stored data has no key column `{name}`"),
            })?;
            Ok(ArrayFormatter::try_new(column.as_ref(), &options)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect())
}

/// The predicate selecting the (region, year, scenario) slices present in `batch`.
fn replace_predicate(batch: &RecordBatch) -> Result<WriteMode> {
    let schema: SchemaRef = batch.schema();
    let slice_columns: Vec<&str> = SLICE_COLUMNS
        .into_iter()
        .filter(|c| schema.column_with_name(c).is_some())
        .collect();
    if slice_columns.is_empty() {
        return Ok(WriteMode::ReplaceAll);
    }
    let options = FormatOptions::default();
    let mut slices = BTreeSet::new();
    let formatters = slice_columns
        .iter()
        .map(|c| {
            let column = batch.column_by_name(c).expect("checked above");
            let quoted = !column.data_type().is_numeric();
            Ok((
                *c,
                quoted,
                ArrayFormatter::try_new(column.as_ref(), &options)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    for row in 0..batch.num_rows() {
        let condition = formatters
            .iter()
            .map(|(name, quoted, f)| {
                let value = f.value(row).to_string();
                if *quoted {
                    format!("{name} = '{}'", value.replace('\'', "''"))
                } else {
                    format!("{name} = {value}")
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ");
        slices.insert(format!("({condition})"));
    }
    Ok(WriteMode::ReplaceWhere(
        slices.into_iter().collect::<Vec<_>>().join(" OR "),
    ))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| PathBuf::from(path).display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAN: Unit = Unit { yuan_exponent: 4 };

    #[test]
    fn amounts_in_wan_become_exact_fen() {
        // 36463.16 万元 = 364,631,600 元 = 36,463,160,000 fen
        assert_eq!(parse_amount("36463.16", WAN, 18), Ok(36_463_160_000));
        assert_eq!(parse_amount("0.0001", WAN, 18), Ok(100)); // 1 元
        assert_eq!(parse_amount("0.000001", WAN, 18), Ok(1)); // 1 分
        assert!(parse_amount("0.0000001", WAN, 18).is_err()); // a tenth of a fen
    }

    #[test]
    fn amounts_accept_what_people_type() {
        assert_eq!(parse_amount("1,234.5", Unit::YUAN, 18), Ok(123_450));
        assert_eq!(parse_amount("１２３．４", Unit::YUAN, 18), Ok(12_340));
        assert_eq!(parse_amount("(12.30)", Unit::YUAN, 18), Ok(-1_230));
        assert_eq!(parse_amount("-0.01", Unit::YUAN, 18), Ok(-1));
    }

    #[test]
    fn amounts_refuse_what_is_not_money() {
        for bad in [
            "NaN", "inf", "Infinity", "1e5", "12.345", "", "1.2.3", "abc", "--1",
        ] {
            assert!(parse_amount(bad, Unit::YUAN, 18).is_err(), "{bad}");
        }
        // DECIMAL(18,2) holds at most 9,999,999,999,999,999.99 元
        assert!(parse_amount("10000000000000000", Unit::YUAN, 18).is_err());
        assert!(parse_amount("9999999999999999.99", Unit::YUAN, 18).is_ok());
    }

    #[test]
    fn units_know_monthly_columns() {
        assert_eq!(parse_unit("万元", "amount_yuan"), Ok(WAN));
        assert_eq!(
            parse_unit("亿元", "amount_yuan").map(|u| u.yuan_exponent),
            Ok(8)
        );
        assert_eq!(parse_unit("元/月", "monthly_amount_yuan"), Ok(Unit::YUAN));
        assert!(parse_unit("元/月", "amount_yuan").is_err());
        assert!(parse_unit("元", "monthly_amount_yuan").is_err());
        assert!(parse_unit("千元", "amount_yuan").is_err());
    }

    #[test]
    fn booleans_and_integers() {
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("否"), Ok(false));
        assert!(parse_bool("maybe").is_err());
        assert_eq!(parse_integer::<i64>("１,２３４"), Ok(1234));
        assert!(parse_integer::<i64>("12.5").is_err());
    }
}
