//! `fundq gen`: deterministic synthetic detail data at province or national scale, with the
//! budget, headcount and dimension tables that match it, as Parquet in a new data folder.
//!
//! The folder reads like any other: `detail` holds one record per person, month, fund and item;
//! the view `ledger_from_detail` stands in for the `ledger` table (see `sql/views/`), so every
//! standard view runs on it unchanged. The layout (one file per year, rows sorted by region and
//! person, 1 M-row groups, page statistics, zstd) is explained in docs/performance.md.
//! The folder is written beside its final name and renamed into place when complete.
//!
//! Balances: every county states an opening balance (年初结余) for the first year and a closing
//! balance (累计结余) for every year, as `actual` rows of the `budget` table (ledger_from_detail
//! passes them through to the ledger and sums them up to cities and provinces like any amount).
//! The opening balance covers a random 0–36 months of the first year's expenditure, so every
//! band of `warning_threshold` is met somewhere; each closing balance is the opening balance plus
//! the year's income minus its expense over the non-memo top-level items, so `balance_identity`
//! holds. Enterprise-pension contributions are memo items in the shipped item table (pooled by
//! the province), so those county balances fall by the pensions paid and some turn negative.
//! The item table is the workspace's, plus `opening_balance` and `closing_balance` for every
//! fund that lacks them.

mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use datafusion::arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, BooleanArray, Decimal128Builder, Int32Builder,
    Int64Builder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::output::write_rows;
use crate::session::Session;
use crate::workspace::Workspace;
use model::{County, Person, Region};

/// Rows per Parquet row group (and per in-memory batch while generating).
const ROW_GROUP_ROWS: usize = 1 << 20;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub persons: u64,
    pub regions: u32,
    pub first_year: i32,
    pub last_year: i32,
    pub out: PathBuf,
    pub seed: u64,
}

/// What was written.
#[derive(Debug)]
pub struct GenSummary {
    pub detail_rows: u64,
    pub regions: usize,
    pub bytes: u64,
}

/// Sums per (county index, fund, item) and persons per (county index, fund, measure) of one
/// year, gathered while its records are written.
#[derive(Default)]
struct YearTotals {
    amounts: HashMap<(usize, &'static str, &'static str), i128>,
    persons: HashMap<(usize, &'static str, &'static str), u64>,
}

pub async fn generate(workspace: &Workspace, options: &GenOptions) -> Result<GenSummary> {
    check(options)?;
    let staging = staging_folder(&options.out)?;
    let root = staging.path().to_path_buf();
    copy_dimension(workspace, "fund", &root).await?;
    let flows = copy_items(workspace, &root).await?;
    let (counties, regions) = model::regions(options.regions, options.persons, options.seed);
    write_regions(&regions, &root)?;
    let years: Vec<i32> = (options.first_year..=options.last_year).collect();
    let totals = write_detail(&counties, &years, options, &root)?;
    write_budget(&counties, &years, &totals, options.seed, &root)?;
    write_balances(&counties, &years, &totals, &flows, options.seed, &root)?;
    write_headcount(&counties, &regions, &years, &totals, &root)?;
    let summary = GenSummary {
        detail_rows: totals.iter().map(|(rows, _)| rows).sum(),
        regions: regions.len(),
        bytes: folder_size(&root),
    };
    let staged = staging.keep();
    std::fs::rename(&staged, &options.out).map_err(|e| Error::io(&options.out, e))?;
    Ok(summary)
}

fn check(options: &GenOptions) -> Result<()> {
    if options.regions == 0 || options.regions > model::MAX_COUNTIES {
        return Err(Error::Usage(format!(
            "--regions must be between 1 and {} (31 provinces of 12 cities of 8 counties)",
            model::MAX_COUNTIES
        )));
    }
    if options.persons == 0 {
        return Err(Error::Usage("--persons must be at least 1".into()));
    }
    if options.first_year > options.last_year
        || options.first_year < 1990
        || options.last_year > 2100
    {
        return Err(Error::Usage(format!(
            "--years {}..{} is not a range of years between 1990 and 2100 (for example 2021..2022)",
            options.first_year, options.last_year
        )));
    }
    if options.out.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; gen writes a new data folder, so give a folder that does not exist",
            options.out.display()
        )));
    }
    Ok(())
}

fn staging_folder(out: &Path) -> Result<tempfile::TempDir> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    tempfile::Builder::new()
        .prefix(".fundq-gen-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))
}

/// Funds and items are the workspace's own, so generated data uses the same codes and names.
async fn copy_dimension(workspace: &Workspace, table: &str, root: &Path) -> Result<()> {
    let mut session = Session::open(workspace)?;
    let frame = session.table_frame(table).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    let file = table_file(root, table, "part-0.parquet")?;
    write_rows(
        crate::output::OutputFormat::Parquet,
        &schema,
        &batches,
        Some(&file),
    )
}

/// The workspace's items plus the balance items a fund lacks (the generated ledger states
/// balances for every fund).
const ITEMS_WITH_BALANCES: &str = "
SELECT fund_code, item_code, name_zh, direction, parent_code, of_which, category, memo, sort_order
FROM item
UNION ALL
SELECT f.fund_code, b.item_code, b.name_zh, 'balance', CAST(NULL AS VARCHAR), false, 'balance',
       false, CAST(b.sort_order AS INT)
FROM fund f
CROSS JOIN (VALUES ('opening_balance', '年初结余', 39), ('closing_balance', '累计结余', 40))
    AS b (item_code, name_zh, sort_order)
WHERE NOT EXISTS (
    SELECT 1 FROM item i WHERE i.fund_code = f.fund_code AND i.item_code = b.item_code
)";

/// How an item moves a fund's balance: +1 income, −1 expense, 0 neither (memo accounts,
/// balances), taken from the item's top-level ancestor, as fund_balance counts it.
type FlowSigns = HashMap<(String, String), i128>;

/// Writes the item table (the workspace's, with balance items added) and returns the flow sign
/// of every item.
async fn copy_items(workspace: &Workspace, root: &Path) -> Result<FlowSigns> {
    let mut session = Session::open(workspace)?;
    let frame = session
        .sql_frame(ITEMS_WITH_BALANCES, Path::new("<gen: items>"))
        .await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    let file = table_file(root, "item", "part-0.parquet")?;
    write_rows(
        crate::output::OutputFormat::Parquet,
        &schema,
        &batches,
        Some(&file),
    )?;
    let mut items: HashMap<(String, String), (Option<String>, String, bool)> = HashMap::new();
    for batch in &batches {
        // Text columns may arrive as Utf8View; read them all as Utf8.
        let text = |name: &str| -> Result<StringArray> {
            let column = batch
                .column_by_name(name)
                .ok_or_else(|| Error::Output(format!("the item table has no column {name}")))?;
            let column = datafusion::arrow::compute::cast(column, &DataType::Utf8)?;
            Ok(column.as_string::<i32>().clone())
        };
        let (fund, item, parent, direction) = (
            text("fund_code")?,
            text("item_code")?,
            text("parent_code")?,
            text("direction")?,
        );
        let memo = batch
            .column_by_name("memo")
            .and_then(|c| c.as_any().downcast_ref::<BooleanArray>())
            .ok_or_else(|| Error::Output("item column memo is not boolean".into()))?;
        for row in 0..batch.num_rows() {
            let parent = (!parent.is_null(row)).then(|| parent.value(row).to_string());
            items.insert(
                (fund.value(row).to_string(), item.value(row).to_string()),
                (parent, direction.value(row).to_string(), memo.value(row)),
            );
        }
    }
    let sign = |key: &(String, String)| {
        let mut key = key.clone();
        for _ in 0..16 {
            match items.get(&key) {
                Some((Some(parent), _, _)) => key.1 = parent.clone(),
                Some((None, _, true)) | None => return 0,
                Some((None, direction, false)) => {
                    return match direction.as_str() {
                        "income" => 1,
                        "expense" => -1,
                        _ => 0,
                    };
                }
            }
        }
        0
    };
    Ok(items.keys().map(|key| (key.clone(), sign(key))).collect())
}

fn table_file(root: &Path, table: &str, file: &str) -> Result<PathBuf> {
    let folder = root.join(table);
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    Ok(folder.join(file))
}

fn write_regions(regions: &[Region], root: &Path) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("region_code", DataType::Utf8, false),
        Field::new("name_zh", DataType::Utf8, false),
        Field::new("parent_code", DataType::Utf8, true),
        Field::new("level", DataType::Utf8, false),
    ]));
    let (mut code, mut name, mut parent, mut level) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for region in regions {
        code.append_value(&region.code);
        name.append_value(&region.name);
        parent.append_option(region.parent.as_deref());
        level.append_value(region.level);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(code.finish()),
        Arc::new(name.finish()),
        Arc::new(parent.finish()),
        Arc::new(level.finish()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    write_parquet(
        &table_file(root, "region", "part-0.parquet")?,
        &schema,
        &[batch],
    )
}

fn detail_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("region_code", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("month", DataType::Int32, false),
        Field::new("fund_code", DataType::Utf8, false),
        Field::new("item_code", DataType::Utf8, false),
        Field::new("person_id", DataType::Int64, false),
        Field::new("amount_yuan", DataType::Decimal128(18, 2), false),
    ]))
}

/// Writes `detail/<year>.parquet` for every year, on as many threads as there are cores;
/// returns each year's row count and totals.
fn write_detail(
    counties: &[County],
    years: &[i32],
    options: &GenOptions,
    root: &Path,
) -> Result<Vec<(u64, YearTotals)>> {
    let months = years.len() as u32 * 12;
    let progress = progress_bar(options.persons * years.len() as u64);
    let next = AtomicUsize::new(0);
    let written = AtomicU64::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(years.len());
    let mut results: Vec<Option<Result<(u64, YearTotals)>>> =
        (0..years.len()).map(|_| None).collect();
    let finished = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&year) = years.get(index) else { break };
                    let file = root.join("detail").join(format!("{year}.parquet"));
                    let result = write_year(
                        counties,
                        year,
                        index as u32,
                        months,
                        options.seed,
                        &file,
                        &|n| {
                            written.fetch_add(n, Ordering::Relaxed);
                            progress.inc(n);
                        },
                    );
                    if let Ok(mut results) = finished.lock() {
                        results[index] = Some(result);
                    }
                }
            });
        }
    });
    progress.finish_and_clear();
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::Output("a generator thread stopped early".into()))))
        .collect()
}

/// Generates and writes one year, county by county, person by person, month by month: the
/// file comes out sorted by region and person without a sort.
fn write_year(
    counties: &[County],
    year: i32,
    year_index: u32,
    months: u32,
    seed: u64,
    file: &Path,
    persons_done: &(dyn Fn(u64) + Sync),
) -> Result<(u64, YearTotals)> {
    let folder = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
    let schema = detail_schema();
    let output = std::fs::File::create(file).map_err(|e| Error::io(file, e))?;
    let mut writer = ArrowWriter::try_new(output, schema.clone(), Some(writer_properties()))?;
    let mut batch = DetailBatch::new();
    let mut totals = YearTotals::default();
    let mut rows = 0u64;
    let mut records = Vec::with_capacity(4);
    for (county_index, county) in counties.iter().enumerate() {
        for id in county.first_person..county.first_person + county.persons {
            let person = Person::new(id, months, seed);
            let mut seen: [(&'static str, &'static str); 8] = [("", ""); 8];
            let mut seen_count = 0;
            for month in 0..12 {
                records.clear();
                person.records(year_index * 12 + month, year_index, &mut records);
                for &(fund, item, cents) in &records {
                    batch.push(
                        &county.code,
                        year,
                        month as i32 + 1,
                        fund,
                        item,
                        person.id,
                        cents,
                    );
                    *totals
                        .amounts
                        .entry((county_index, fund, item))
                        .or_default() += i128::from(cents);
                    if seen_count < seen.len() && !seen[..seen_count].contains(&(fund, item)) {
                        seen[seen_count] = (fund, item);
                        seen_count += 1;
                    }
                }
                if batch.len() >= ROW_GROUP_ROWS {
                    rows += batch.len() as u64;
                    writer.write(&batch.finish(&schema)?)?;
                }
            }
            count_person(&mut totals, county_index, &seen[..seen_count]);
            if id % 4096 == 0 {
                persons_done(4096);
            }
        }
    }
    rows += batch.len() as u64;
    writer.write(&batch.finish(&schema)?)?;
    writer.close()?;
    Ok((rows, totals))
}

/// Headcount measures from the (fund, item) pairs a person had records for in the year.
fn count_person(totals: &mut YearTotals, county: usize, seen: &[(&'static str, &'static str)]) {
    let mut add = |fund: &'static str, measure: &'static str| {
        *totals.persons.entry((county, fund, measure)).or_default() += 1;
    };
    for &(fund, item) in seen {
        match (fund, item) {
            ("work_injury", "contribution") => {
                add(fund, "insured");
                add(fund, "contributors");
            }
            ("work_injury", _) => add(fund, "beneficiaries"),
            (_, "contribution") => add(fund, "contributors"),
            (_, _) => add(fund, "retired"),
        }
    }
    let pension = seen.iter().find(|(fund, _)| *fund != "work_injury");
    if let Some(&(fund, _)) = pension {
        add(fund, "insured");
        if !seen
            .iter()
            .any(|&(f, item)| f == fund && item != "contribution")
        {
            add(fund, "active");
        }
    }
}

/// Column builders for one row group of `detail`.
struct DetailBatch {
    region: StringBuilder,
    year: Int32Builder,
    month: Int32Builder,
    fund: StringBuilder,
    item: StringBuilder,
    person: Int64Builder,
    amount: Decimal128Builder,
}

impl DetailBatch {
    fn new() -> DetailBatch {
        DetailBatch {
            region: StringBuilder::with_capacity(ROW_GROUP_ROWS, ROW_GROUP_ROWS * 6),
            year: Int32Builder::with_capacity(ROW_GROUP_ROWS),
            month: Int32Builder::with_capacity(ROW_GROUP_ROWS),
            fund: StringBuilder::with_capacity(ROW_GROUP_ROWS, ROW_GROUP_ROWS * 18),
            item: StringBuilder::with_capacity(ROW_GROUP_ROWS, ROW_GROUP_ROWS * 15),
            person: Int64Builder::with_capacity(ROW_GROUP_ROWS),
            amount: Decimal128Builder::with_capacity(ROW_GROUP_ROWS),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        region: &str,
        year: i32,
        month: i32,
        fund: &str,
        item: &str,
        person: i64,
        cents: i64,
    ) {
        self.region.append_value(region);
        self.year.append_value(year);
        self.month.append_value(month);
        self.fund.append_value(fund);
        self.item.append_value(item);
        self.person.append_value(person);
        self.amount.append_value(i128::from(cents));
    }

    fn len(&self) -> usize {
        self.year.len()
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch> {
        let amount = self.amount.finish().with_precision_and_scale(18, 2)?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.region.finish()),
            Arc::new(self.year.finish()),
            Arc::new(self.month.finish()),
            Arc::new(self.fund.finish()),
            Arc::new(self.item.finish()),
            Arc::new(self.person.finish()),
            Arc::new(amount),
        ];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// The budget a county set for each item it had actuals for: the actual amount off by −6 % to
/// +8 %, rounded to 100 yuan, as the `budget` scenario of the ledger.
fn write_budget(
    counties: &[County],
    years: &[i32],
    totals: &[(u64, YearTotals)],
    seed: u64,
    root: &Path,
) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xB0D6E7);
    let mut rows = BudgetRows::default();
    for (year, (_, year_totals)) in years.iter().zip(totals) {
        let mut keys: Vec<_> = year_totals.amounts.keys().copied().collect();
        keys.sort();
        for key @ (county, fund_code, item_code) in keys {
            let actual = year_totals.amounts[&key];
            let factor = rng.random_range(940..=1080);
            let budget = actual * factor / 1000 / 10_000 * 10_000;
            rows.push(
                &counties[county].code,
                *year,
                fund_code,
                item_code,
                "budget",
                budget,
            );
        }
    }
    let (schema, batch) = rows.finish()?;
    write_parquet(
        &table_file(root, "budget", "part-0.parquet")?,
        &schema,
        &[batch],
    )
}

/// Opening (first year) and closing (every year) balances per county and fund, as `actual` rows
/// of `budget/balances.parquet`: the opening balance covers 0–36 months of the first year's
/// expense, each closing balance is the opening plus the year's income minus its expense.
fn write_balances(
    counties: &[County],
    years: &[i32],
    totals: &[(u64, YearTotals)],
    flows: &FlowSigns,
    seed: u64,
    root: &Path,
) -> Result<()> {
    let sign = |fund: &str, item: &str| {
        flows
            .get(&(fund.to_string(), item.to_string()))
            .copied()
            .unwrap_or(0)
    };
    // (county, fund) → (net flow per year, expense of the first year), in cents.
    let mut funds: std::collections::BTreeMap<(usize, &str), (Vec<i128>, i128)> =
        Default::default();
    for (year_index, (_, year_totals)) in totals.iter().enumerate() {
        for (&(county, fund, item), &cents) in &year_totals.amounts {
            let entry = funds
                .entry((county, fund))
                .or_insert_with(|| (vec![0; years.len()], 0));
            let sign = sign(fund, item);
            entry.0[year_index] += sign * cents;
            if year_index == 0 && sign < 0 {
                entry.1 += cents;
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xBA1A_0CE5);
    let mut rows = BudgetRows::default();
    for (&(county, fund), (net, first_expense)) in &funds {
        let code = &counties[county].code;
        let months: i128 = rng.random_range(0..=36);
        let mut balance = first_expense * months / 12;
        rows.push(code, years[0], fund, "opening_balance", "actual", balance);
        for (year, net) in years.iter().zip(net) {
            balance += net;
            rows.push(code, *year, fund, "closing_balance", "actual", balance);
        }
    }
    let (schema, batch) = rows.finish()?;
    write_parquet(
        &table_file(root, "budget", "balances.parquet")?,
        &schema,
        &[batch],
    )
}

/// Column builders for rows of the `budget` table (the ledger's columns).
#[derive(Default)]
struct BudgetRows {
    region: StringBuilder,
    year: Int32Builder,
    fund: StringBuilder,
    item: StringBuilder,
    scenario: StringBuilder,
    amount: Decimal128Builder,
}

impl BudgetRows {
    fn push(
        &mut self,
        region: &str,
        year: i32,
        fund: &str,
        item: &str,
        scenario: &str,
        cents: i128,
    ) {
        self.region.append_value(region);
        self.year.append_value(year);
        self.fund.append_value(fund);
        self.item.append_value(item);
        self.scenario.append_value(scenario);
        self.amount.append_value(cents);
    }

    fn finish(mut self) -> Result<(SchemaRef, RecordBatch)> {
        let schema = budget_schema();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.region.finish()),
            Arc::new(self.year.finish()),
            Arc::new(self.fund.finish()),
            Arc::new(self.item.finish()),
            Arc::new(self.scenario.finish()),
            Arc::new(self.amount.finish().with_precision_and_scale(18, 2)?),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        Ok((schema, batch))
    }
}

fn budget_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("region_code", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("fund_code", DataType::Utf8, false),
        Field::new("item_code", DataType::Utf8, false),
        Field::new("scenario", DataType::Utf8, false),
        Field::new("amount_yuan", DataType::Decimal128(18, 2), false),
    ]))
}

/// Persons per county, and summed up to cities and provinces (a person is insured in one
/// county, so the sums are exact counts of distinct persons).
fn write_headcount(
    counties: &[County],
    regions: &[Region],
    years: &[i32],
    totals: &[(u64, YearTotals)],
    root: &Path,
) -> Result<()> {
    let parent: HashMap<&str, &str> = regions
        .iter()
        .filter_map(|r| r.parent.as_deref().map(|p| (r.code.as_str(), p)))
        .collect();
    let mut persons: std::collections::BTreeMap<(String, i32, &str, &str), u64> =
        Default::default();
    for (year, (_, year_totals)) in years.iter().zip(totals) {
        for (&(county, fund, measure), &count) in &year_totals.persons {
            let mut code = counties[county].code.as_str();
            loop {
                *persons
                    .entry((code.to_string(), *year, fund, measure))
                    .or_default() += count;
                match parent.get(code) {
                    Some(p) => code = p,
                    None => break,
                }
            }
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("region_code", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("fund_code", DataType::Utf8, false),
        Field::new("measure", DataType::Utf8, false),
        Field::new("breakdown", DataType::Utf8, false),
        Field::new("member", DataType::Utf8, false),
        Field::new("scenario", DataType::Utf8, false),
        Field::new("persons", DataType::Int64, false),
    ]));
    let mut columns: Vec<StringBuilder> = (0..6).map(|_| StringBuilder::new()).collect();
    let (mut year_column, mut count_column) = (Int32Builder::new(), Int64Builder::new());
    for ((code, year, fund, measure), count) in persons {
        for (column, value) in
            columns
                .iter_mut()
                .zip([code.as_str(), fund, measure, "total", "all", "actual"])
        {
            column.append_value(value);
        }
        year_column.append_value(year);
        count_column.append_value(count as i64);
    }
    let mut strings = columns
        .into_iter()
        .map(|mut c| Arc::new(c.finish()) as ArrayRef);
    let mut next = || {
        strings
            .next()
            .ok_or_else(|| Error::Output("headcount columns".into()))
    };
    let columns: Vec<ArrayRef> = vec![
        next()?,
        Arc::new(year_column.finish()),
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        Arc::new(count_column.finish()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    write_parquet(
        &table_file(root, "headcount", "part-0.parquet")?,
        &schema,
        &[batch],
    )
}

/// zstd level 1: smaller files than snappy at about the same decoding cost (measured in
/// docs/performance.md); statistics down to pages, so filters skip row groups and pages.
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(datafusion::parquet::file::properties::EnabledStatistics::Page)
        .build()
}

fn write_parquet(file: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<()> {
    let output = std::fs::File::create(file).map_err(|e| Error::io(file, e))?;
    let mut writer = ArrowWriter::try_new(output, schema.clone(), Some(writer_properties()))?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(())
}

fn progress_bar(persons: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(persons), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {percent}% persons×years, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn folder_size(folder: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                folder_size(&path)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}
