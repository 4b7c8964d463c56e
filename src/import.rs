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
//!
//! Memory stays bounded whatever the file's size: rows are parsed a chunk at a time and the
//! valid ones are staged in a temporary Parquet file (as `incoming`, with their file row in
//! `_row`); the checks that need every row (keys repeated in the file, keys already stored,
//! the import rules) are DataFusion queries over it, which spill under the memory limit, and
//! the commit streams from it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanBuilder, Decimal128Builder, Int32Builder, Int64Array, Int64Builder,
    RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{count, min};
use datafusion::logical_expr::{Expr, JoinType};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{cast, col, lit};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

use crate::catalog::{sql_files_in, sql_relations};
use crate::error::{Error, Result, closest_names};
use crate::input::{self, Row, RowReader, WideLayout};
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
    /// Replace the (region, year, scenario) slices present in the file (for `ledger_period`:
    /// the (region, period) slices); the whole table when it has none of those columns.
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
const SLICE_COLUMNS: [&str; 4] = ["region_code", "year", "period", "scenario"];

/// Rows parsed and checked at a time; memory is bounded by this, not by the file.
const CHUNK_ROWS: usize = 65_536;

/// Memory for the checks that see every row (keys, rules) unless `--memory-limit-mb` says
/// otherwise; beyond it they spill to disk.
const IMPORT_MEMORY_LIMIT: usize = 1 << 30;

/// Validates `file` against the definition of `table` and, unless a dry run, commits it.
pub async fn import_file(
    workspace: &Workspace,
    file: &Path,
    table: &str,
    options: &ImportOptions,
) -> Result<ImportSummary> {
    let definition = TableDef::load(&workspace.sql_dir, table).await?;
    let facts = input::inspect(file)?;
    let progress = progress_bar(file, facts.size);
    let bounded = Workspace {
        memory_limit: workspace.memory_limit.or(Some(IMPORT_MEMORY_LIMIT)),
        ..workspace.clone()
    };
    let mut session = Session::open(&bounded)?;
    let names = NameCodes::load(&mut session).await?;
    let (mut rows, notes) = open_rows(workspace, file, &facts, options, &progress)?;
    let staging = tempfile::Builder::new()
        .prefix("fundq-import-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let staged = stage_rows(
        file,
        &mut rows,
        &names,
        &definition,
        options,
        staging.path(),
    )?;
    progress.set_style(spinner_style());
    progress.set_message("checking keys and import rules");
    let mut problems = staged.problems;
    // The version every check reads; the commit lands on exactly this version or not at all.
    let table_path = workspace.data_dir.join(table);
    let read_version = storage::latest_version(table, &table_path).await?;
    session
        .register_parquet("incoming", &staged.path, &staged.schema)
        .await?;
    if staged.rows > 0 {
        let stored = options.mode == ImportMode::Append && table_path.join("_delta_log").is_dir();
        problems.extend(key_problems(&mut session, file, &definition, stored).await?);
        problems.extend(rule_problems(&mut session, workspace, file, &definition).await?);
    }
    problems.sort_by_key(|p| row_of_problem(p));
    let mut invalid_rows = BTreeSet::new();
    if !problems.is_empty() {
        let Some(reject_file) = &options.reject else {
            return Err(invalid(file, problems));
        };
        invalid_rows = rows_with_problems(file, &problems)?;
        let (rows, _) = open_rows(workspace, file, &facts, options, &ProgressBar::hidden())?;
        write_rejects(reject_file, rows, &problems, &invalid_rows)?;
    }
    let accepted = accepted_rows(&session, &definition, &invalid_rows).await?;
    let count = accepted.clone().count().await?;
    let summary = |version| ImportSummary {
        table: table.to_string(),
        rows: count,
        rejected: invalid_rows.len(),
        version,
        notes: notes.clone(),
    };
    if options.dry_run || count == 0 {
        return Ok(summary(None));
    }
    let write_mode = match options.mode {
        ImportMode::Append => WriteMode::Append,
        ImportMode::Replace => replace_predicate(&accepted).await?,
    };
    let metadata = vec![
        ("fundq.source_file".to_string(), file_name(file).into()),
        (
            "fundq.source_sha256".to_string(),
            facts.sha256.clone().into(),
        ),
        ("fundq.rows".to_string(), count.into()),
    ];
    progress.set_message(format!("writing {count} row(s) to `{table}`"));
    let written = storage::commit(
        table,
        &table_path,
        accepted,
        write_mode,
        metadata,
        read_version,
    )
    .await?;
    progress.finish_and_clear();
    Ok(summary(written.version()))
}

/// The file's rows, in the wide layout reshaped into the long one (with its notes).
fn open_rows(
    workspace: &Workspace,
    file: &Path,
    facts: &input::FileFacts,
    options: &ImportOptions,
    progress: &ProgressBar,
) -> Result<(RowReader, Vec<String>)> {
    let sql_dir = &workspace.sql_dir;
    let rows = RowReader::open(file, facts, options.sheet.as_deref(), sql_dir, progress)?;
    let Some(layout) = &options.wide else {
        return Ok((rows, Vec::new()));
    };
    let (sheet, notes) = match layout.period {
        Some(period) => {
            input::reshape_period_table(file, rows.read_all()?, layout, period, sql_dir)?
        }
        None => input::reshape_wide(file, rows.read_all()?, layout, sql_dir)?,
    };
    Ok((RowReader::from_sheet(file, sheet), notes))
}

/// The valid rows of a file, staged as Parquet, and the problems of the others.
struct Staged {
    path: PathBuf,
    /// The table's columns and `_row`, the row's number in the file.
    schema: SchemaRef,
    rows: usize,
    problems: Vec<String>,
}

/// Reads, converts and type-checks the file a chunk at a time, writing the valid rows to
/// `folder/incoming.parquet`.
fn stage_rows(
    file: &Path,
    rows: &mut RowReader,
    names: &NameCodes,
    definition: &TableDef,
    options: &ImportOptions,
    folder: &Path,
) -> Result<Staged> {
    let plan = ColumnPlan::new(file, rows.headers(), definition, options.unit.as_deref())?;
    let path = folder.join("incoming.parquet");
    let schema = with_row_column(&definition.schema);
    let staging_file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(staging_file, schema.clone(), Some(properties))?;
    let (mut staged_rows, mut problems) = (0, Vec::new());
    while let Some(mut chunk) = rows.next_chunk(CHUNK_ROWS)? {
        problems.append(&mut chunk.problems);
        problems.extend(names.apply(
            file,
            rows.headers(),
            &mut chunk.rows,
            options.wide.is_some(),
        ));
        let parsed = parse_rows(
            file,
            rows.headers(),
            &chunk.rows,
            &plan,
            definition,
            options,
        )?;
        problems.extend(parsed.problems);
        staged_rows += parsed.rows.len();
        writer.write(&with_row_numbers(&schema, parsed.batch, &parsed.rows)?)?;
    }
    writer.close()?;
    if problems.is_empty() && staged_rows == 0 {
        problems.push(format!(
            "{}: the file has a header but no rows; nothing to import",
            file.display()
        ));
    }
    Ok(Staged {
        path,
        schema,
        rows: staged_rows,
        problems,
    })
}

/// A bar of the bytes read on stderr while the file is read, then a spinner naming the step;
/// indicatif draws nothing when stderr is not a terminal (CI, pipes), and it is cleared when
/// the import ends, successfully or not.
fn progress_bar(file: &Path, size: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
        .with_finish(ProgressFinish::AndClear);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("reading {}", file.display()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
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

/// The staged rows minus those of `invalid_rows`, in the table's columns.
async fn accepted_rows(
    session: &Session,
    definition: &TableDef,
    invalid_rows: &BTreeSet<usize>,
) -> Result<DataFrame> {
    let mut rows = session.context().table("incoming").await?;
    if !invalid_rows.is_empty() {
        let numbers: Int64Array = invalid_rows.iter().map(|&r| Some(r as i64)).collect();
        let invalid =
            RecordBatch::try_from_iter([("_invalid_row", Arc::new(numbers) as ArrayRef)])?;
        let invalid = session.context().read_batch(invalid)?;
        rows = rows.join(
            invalid,
            JoinType::LeftAnti,
            &["_row"],
            &["_invalid_row"],
            None,
        )?;
    }
    let columns: Vec<&str> = definition
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    Ok(rows.select_columns(&columns)?)
}

/// Writes the invalid rows as CSV: the file's columns, its row number and the reasons. The file
/// is read again for them, so no row has to be kept in memory meanwhile.
fn write_rejects(
    path: &Path,
    mut rows: RowReader,
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
        header.extend(rows.headers().iter().cloned());
        header.push("problem".to_string());
        writer.write_record(&header).map_err(csv_error)?;
        while let Some(chunk) = rows.next_chunk(CHUNK_ROWS)? {
            for row in chunk
                .rows
                .iter()
                .filter(|r| invalid_rows.contains(&r.number))
            {
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
        }
        writer.flush().map_err(|e| Error::Output(e.to_string()))
    })
}

fn csv_error(e: csv::Error) -> Error {
    Error::Output(e.to_string())
}

/// Fund and item names (企业职工基本养老保险, 利息收入) and their codes, from the `fund` and
/// `item` tables, to turn names in a file into codes.
struct NameCodes {
    /// ("", name or code) → fund code; empty when the data folder has no `fund` table.
    funds: HashMap<(String, String), String>,
    /// (fund code, name or code) → item code; `None` without an `item` table.
    items: Option<HashMap<(String, String), String>>,
}

impl NameCodes {
    async fn load(session: &mut Session) -> Result<NameCodes> {
        let funds = match session.tables().contains_key("fund") {
            true => name_table(session, "fund", &["fund_code"]).await?,
            false => HashMap::new(),
        };
        let items = match session.tables().contains_key("item") {
            true => Some(name_table(session, "item", &["fund_code", "item_code"]).await?),
            false => None,
        };
        Ok(NameCodes { funds, items })
    }

    /// Replaces names by codes in `rows`. In the wide layout, where item columns are names, an
    /// unknown name is a problem that lists the closest known names; in the long layout unknown
    /// codes are left to the import rules.
    fn apply(&self, file: &Path, headers: &[String], rows: &mut [Row], wide: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(fund) = headers.iter().position(|h| h == "fund_code") else {
            return problems;
        };
        for row in rows.iter_mut() {
            let cell = &mut row.cells[fund];
            if let Some(code) = self.funds.get(&(String::new(), cell.clone())) {
                *cell = code.clone();
            }
        }
        let (Some(item), Some(names)) =
            (headers.iter().position(|h| h == "item_code"), &self.items)
        else {
            return problems;
        };
        for row in rows.iter_mut() {
            let key = (row.cells[fund].clone(), row.cells[item].clone());
            let Some(code) = names.get(&key) else {
                if wide {
                    problems.push(unknown_item(file, row, &key, names));
                }
                continue;
            };
            row.cells[item] = code.clone();
        }
        problems
    }
}

fn unknown_item(
    file: &Path,
    row: &Row,
    (fund, item): &(String, String),
    names: &HashMap<(String, String), String>,
) -> String {
    let of_fund = names
        .keys()
        .filter(|(f, _)| f == fund)
        .map(|(_, name)| name.as_str());
    let closest = closest_names(item, of_fund);
    format!(
        "{}: row {}, column {}: `{item}` is not an item of fund {fund} (by name or code){}",
        file.display(),
        row.number,
        row.source_column.as_deref().unwrap_or("item_code"),
        match closest.first() {
            Some(name) => format!("; did you mean `{name}`?"),
            None => String::new(),
        }
    )
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

/// The rows of a chunk that passed the type checks, and the problems of those that did not.
struct Parsed {
    /// Valid rows in the table's schema.
    batch: RecordBatch,
    /// The file row (header = 1) of each row of `batch`.
    rows: Vec<usize>,
    problems: Vec<String>,
}

/// Checks every cell of `rows` against the table's column types.
fn parse_rows(
    file: &Path,
    headers: &[String],
    rows: &[Row],
    plan: &ColumnPlan,
    definition: &TableDef,
    options: &ImportOptions,
) -> Result<Parsed> {
    let file_unit = options.unit.as_deref();
    let mut columns: Vec<ColumnBuilder> = definition
        .schema
        .fields()
        .iter()
        .map(|f| ColumnBuilder::new(f))
        .collect();
    let mut numbers = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        let mut values = Vec::with_capacity(plan.sources.len());
        for (target, source) in plan.sources.iter().enumerate() {
            let cell = source.read(row, file_unit);
            match parse_cell(definition.schema.field(target), &cell) {
                Ok(value) => values.push(value),
                Err(expected) => problems.push(format!(
                    "{}: row {}, column {}: `{}` {expected}",
                    file.display(),
                    row.number,
                    row.source_column
                        .clone()
                        .filter(|_| matches!(
                            source,
                            Source::AmountWithUnit { .. } | Source::AmountInFileUnit { .. }
                        ))
                        .unwrap_or_else(|| source.column_label(headers)),
                    cell.text
                )),
            }
        }
        if values.len() == columns.len() {
            for (column, value) in columns.iter_mut().zip(values) {
                column.append(value);
            }
            numbers.push(row.number);
        }
    }
    let arrays: Vec<ArrayRef> = columns.into_iter().map(ColumnBuilder::finish).collect();
    Ok(Parsed {
        batch: RecordBatch::try_new(definition.schema.clone(), arrays)?,
        rows: numbers,
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
                None => match (
                    is_yuan(field),
                    amount_column(field, definition, headers),
                    position("unit"),
                ) {
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
            Ok(ColumnPlan { sources })
        } else {
            Err(invalid(file, problems))
        }
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

/// The file column that gives a `<name>_yuan` column with a unit: `<name>` (`cumulative` for
/// `cumulative_yuan`), else `amount` when it is the table's only yuan column (so `amount` gives
/// `monthly_amount_yuan`).
fn amount_column(field: &Field, definition: &TableDef, headers: &[String]) -> Option<usize> {
    let position = |name: &str| headers.iter().position(|h| h == name);
    let stem = field.name().strip_suffix("_yuan")?;
    let yuan_columns = definition
        .schema
        .fields()
        .iter()
        .filter(|f| is_yuan(f))
        .count();
    position(stem).or_else(|| (yuan_columns == 1).then(|| position("amount")).flatten())
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

/// Keys repeated inside the file (every repeat after the first row is a problem) and, with
/// `stored` (append mode), keys the table already holds (a correction is `--mode replace`).
///
/// One aggregation over the file's keys and the stored ones finds the offending keys; it
/// spills to disk under the memory limit, so a file or table of any size is checked. Only the
/// offending keys (as many as there are problems) are then held in memory, to find their rows.
async fn key_problems(
    session: &mut Session,
    file: &Path,
    definition: &TableDef,
    stored: bool,
) -> Result<Vec<String>> {
    let keys = definition.key_columns();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let incoming = session.context().table("incoming").await?;
    let key_columns = |frame: DataFrame, row: Expr| -> Result<DataFrame> {
        let mut columns = keys
            .iter()
            .map(|k| {
                let defined = definition.schema.field_with_name(k)?.data_type().clone();
                Ok(cast(col(*k), defined).alias(*k))
            })
            .collect::<Result<Vec<_>>>()?;
        columns.push(row.alias("_row"));
        Ok(frame.select(columns)?)
    };
    let mut all_keys = key_columns(incoming.clone(), col("_row"))?;
    if stored {
        let table = session.table_frame(&definition.name).await?;
        all_keys = all_keys.union(key_columns(
            table,
            cast(lit(ScalarValue::Null), DataType::Int64),
        )?)?;
    }
    let offending_names: Vec<String> = (0..keys.len()).map(|i| format!("_key_{i}")).collect();
    let offending = all_keys
        .aggregate(
            keys.iter().map(|k| col(*k)).collect(),
            vec![
                min(col("_row")).alias("_first_row"),
                count(col("_row")).alias("_in_file"),
                count(lit(1)).alias("_in_all"),
            ],
        )?
        .filter(
            col("_in_file").gt(lit(1)).or(col("_in_file")
                .gt(lit(0))
                .and(col("_in_all").gt(col("_in_file")))),
        )?
        .select(
            keys.iter()
                .zip(&offending_names)
                .map(|(k, alias)| col(*k).alias(alias))
                .chain(["_first_row", "_in_file", "_in_all"].map(col))
                .collect::<Vec<_>>(),
        )?
        .collect()
        .await?;
    if offending.iter().all(|b| b.num_rows() == 0) {
        return Ok(Vec::new());
    }
    // The offending keys are the build side of the join: the file's rows stream past them.
    let offending = session.context().read_batches(offending)?;
    let offending_names: Vec<&str> = offending_names.iter().map(String::as_str).collect();
    let rows = offending
        .join(incoming, JoinType::Inner, &offending_names, &keys, None)?
        .sort_by(vec![col("_row")])?
        .collect()
        .await?;
    let mut problems = Vec::new();
    for batch in &rows {
        let (row, first) = (
            int64_column(batch, "_row")?,
            int64_column(batch, "_first_row")?,
        );
        let (in_file, in_all) = (
            int64_column(batch, "_in_file")?,
            int64_column(batch, "_in_all")?,
        );
        for (i, key) in key_strings(batch, definition)?.into_iter().enumerate() {
            if in_all.value(i) > in_file.value(i) {
                problems.push(format!(
                    "{}: row {}: key ({key}) is already stored in table `{}`; to correct stored figures use --mode replace",
                    file.display(),
                    row.value(i),
                    definition.name
                ));
            }
            if row.value(i) != first.value(i) {
                problems.push(format!(
                    "{}: row {}: key ({}) repeats row {}: ({key}); each key appears once per file",
                    file.display(),
                    row.value(i),
                    keys.join(", "),
                    first.value(i),
                ));
            }
        }
    }
    Ok(problems)
}

fn int64_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int64Array> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Int64Type>())
        .ok_or_else(|| Error::Output(format!("internal: no Int64 column `{name}`")))
}

/// Runs the rules of `sql/import/<table>/*.sql` over the staged rows, `incoming`, whose
/// `_row` column is their row in the file. A rule returns one row per problem with the columns
/// `file_row`, `file_column`, `value` and `expected`. A rule that reads a table the data folder
/// does not have yet (say, `fund` before the first fund is imported) is skipped with a note.
async fn rule_problems(
    session: &mut Session,
    workspace: &Workspace,
    file: &Path,
    definition: &TableDef,
) -> Result<Vec<String>> {
    let rules = sql_files_in(&workspace.sql_dir.join("import").join(&definition.name))?;
    if !session.has_relation(&definition.name) {
        session.register_empty(&definition.name, definition.schema.clone())?;
    }
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

/// `schema` plus `_row`, the row's number in the file.
fn with_row_column(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new("_row", DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// The valid rows of a chunk plus `_row`, their row numbers in the file.
fn with_row_numbers(schema: &SchemaRef, batch: RecordBatch, rows: &[usize]) -> Result<RecordBatch> {
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(
        rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
    )));
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
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

/// The predicate selecting the (region, year, period, scenario) slices present in `rows`.
async fn replace_predicate(rows: &DataFrame) -> Result<WriteMode> {
    let slice_columns: Vec<&str> = SLICE_COLUMNS
        .into_iter()
        .filter(|c| rows.schema().has_column_with_unqualified_name(c))
        .collect();
    if slice_columns.is_empty() {
        return Ok(WriteMode::ReplaceAll);
    }
    let slices = rows
        .clone()
        .select_columns(&slice_columns)?
        .distinct()?
        .collect()
        .await?;
    let options = FormatOptions::default();
    let mut conditions = BTreeSet::new();
    for batch in &slices {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| {
                let quoted = !column.data_type().is_numeric();
                Ok((quoted, ArrayFormatter::try_new(column.as_ref(), &options)?))
            })
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            let condition = slice_columns
                .iter()
                .zip(&formatters)
                .map(|(name, (quoted, f))| {
                    let value = f.value(row).to_string();
                    if *quoted {
                        format!("{name} = '{}'", value.replace('\'', "''"))
                    } else {
                        format!("{name} = {value}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND ");
            conditions.insert(format!("({condition})"));
        }
    }
    Ok(WriteMode::ReplaceWhere(
        conditions.into_iter().collect::<Vec<_>>().join(" OR "),
    ))
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
