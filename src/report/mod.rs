//! `fundq report`: the annual fund report for one region and year, as HTML, Markdown or xlsx,
//! or (with a period) the budget execution report of a month or quarter.
//!
//! This module owns the report's shape: one chapter per fund with ledger rows, the tables of
//! `sql/report/tables/*.sql` (one table per file, in file-name order), the charts of
//! `sql/report/charts/*.sql`, the variances of `sql/report/variances.sql` placed under their
//! table with their notes, and the summary of `sql/report/summary.sql`. Every figure comes from
//! SQL; Rust only picks labels (`sql/report/labels/<lang>.json`), draws charts and fills the
//! templates (`sql/report/report.html`, `report.md`). It must not compute any figure itself.
//!
//! A period report has the same shape and templates, with its own queries in
//! `sql/report/period/` (same file names, `$period` bound too) and labels in
//! `sql/report/period/labels/<lang>.json` laid over the annual ones.

mod charts;
mod data;
mod docx;
mod drafts;
mod render;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::period::Period;
use crate::session::Session;
use crate::storage::AsOf;
use crate::workspace::Workspace;
use data::Records;

/// Views that several report queries read, directly or through other views: computed once per
/// report instead of once per query, in dependency order (so each builds on the kept rows).
/// The report's tables read the roll-ups (for a county they equal the standard views, for a
/// city or province they sum its counties); the variance flags read the standard views.
const SHARED_VIEWS: &[&str] = &[
    "item_amount_v1",
    "budget_execution_v1",
    "yoy_growth_v1",
    "variance_flag_v1",
    "region_leaf_v1",
    "item_amount_rollup_v1",
    "budget_execution_rollup_v1",
    "yoy_growth_rollup_v1",
    "fund_balance_rollup_v1",
];

/// The same for a period report.
const SHARED_PERIOD_VIEWS: &[&str] = &["item_amount_v1", "period_amount_v1", "period_execution_v1"];

/// The file formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page with the charts embedded as SVG.
    #[default]
    Html,
    /// Markdown, with the charts as SVG files next to it.
    Md,
    /// An Excel workbook, one sheet per table, numbers as numbers.
    Xlsx,
    /// A Word document: headings per fund, real tables, the explanations (no charts).
    Docx,
}

impl ReportFormat {
    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Md => "md",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Docx => "docx",
        }
    }
}

/// The language of the report's labels (the data's own names, such as item names, stay as
/// the ledger states them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Language {
    /// Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

impl Language {
    fn code(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }
}

/// What `fundq report` was asked for.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub region: String,
    pub year: i32,
    /// A month or quarter of `year`: the budget execution report of that period.
    pub period: Option<Period>,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
    pub lang: Language,
}

/// Everything the templates and the xlsx writer show.
#[derive(Debug, Serialize)]
pub struct Report {
    pub lang: &'static str,
    pub title: String,
    pub region_code: String,
    pub year: i32,
    pub as_of: Option<String>,
    pub summary: String,
    pub missing: String,
    pub labels: serde_json::Value,
    pub charts: Vec<Chart>,
    pub chapters: Vec<Chapter>,
}

/// One fund's chapter.
#[derive(Debug, Serialize)]
pub struct Chapter {
    pub number: String,
    pub fund_code: String,
    pub name: String,
    pub tables: Vec<Table>,
    /// Charts that belong to no table of the chapter (the multi-year trends).
    pub charts: Vec<Chart>,
}

#[derive(Debug, Serialize)]
pub struct Table {
    pub key: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub variances: Vec<Variance>,
    pub charts: Vec<Chart>,
}

#[derive(Debug, Serialize)]
pub struct Column {
    pub label: String,
    pub numeric: bool,
    /// Decimals of a numeric column; `None` for text.
    pub decimals: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// A figure of this row needs an explanation (variance_flag).
    pub flagged: bool,
    pub total: bool,
    /// Nesting depth of a breakdown item (0 for top level).
    pub level: i64,
}

#[derive(Debug, Serialize)]
pub struct Cell {
    pub text: String,
    pub number: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Variance {
    pub item_name: String,
    pub measure: String,
    pub figure: String,
    pub note: Option<String>,
    /// Where `note` is missing: the drafted explanation (sql/report/explanations/), marked as a
    /// draft in its own text.
    pub draft: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub key: String,
    pub title: String,
    pub svg: String,
    /// File name of the SVG next to a Markdown report.
    pub file: String,
}

/// `fundq report`: gathers the report and writes it in the requested format.
pub async fn write_report(workspace: &Workspace, request: &ReportRequest) -> Result<PathBuf> {
    let output = request.output.clone().unwrap_or_else(|| {
        let name = match request.period {
            Some(period) => format!("{}-{period}-fund-execution", request.region),
            None => format!("{}-{}-fund-report", request.region, request.year),
        };
        PathBuf::from(format!("{name}.{}", request.format.extension()))
    });
    let chart_prefix = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let report = gather(workspace, request, &chart_prefix).await?;
    let templates = workspace.sql_dir.join("report");
    match request.format {
        ReportFormat::Html => render::html(&templates, &report, &output)?,
        ReportFormat::Md => render::markdown(&templates, &report, &output)?,
        ReportFormat::Xlsx => render::xlsx(&report, &output)?,
        ReportFormat::Docx => docx::docx(&report, &output)?,
    }
    Ok(output)
}

async fn gather(
    workspace: &Workspace,
    request: &ReportRequest,
    chart_prefix: &str,
) -> Result<Report> {
    let annual_folder = workspace.sql_dir.join("report");
    let (folder, shared_views) = match request.period {
        Some(_) => (annual_folder.join("period"), SHARED_PERIOD_VIEWS),
        None => (annual_folder.clone(), SHARED_VIEWS),
    };
    let labels = Labels::load(&annual_folder, &folder, request.lang)?;
    let mut session = Session::connect(workspace).await?;
    let (region, year) = (request.region.as_str(), request.year);
    let bindings = &data::Bindings {
        region: region.to_string(),
        year,
        period: request.period.map(|p| p.to_string()),
    };
    let region_name = check_period(&mut session, &folder, bindings).await?;
    for relation in shared_views {
        session.materialize_view(relation).await?;
    }

    let funds = data::run_file(&mut session, &folder.join("funds.sql"), bindings).await?;
    let mut chapters = chapters(&funds, &labels, request.lang)?;
    let fund_names: BTreeMap<String, String> = chapters
        .iter()
        .map(|c| (c.fund_code.clone(), c.name.clone()))
        .collect();
    for path in data::sql_files(&folder.join("tables"))? {
        let records = data::run_file(&mut session, &path, bindings).await?;
        add_tables(&mut chapters, &records, &data::table_key(&path), &labels)?;
    }
    let variances = data::run_file(&mut session, &folder.join("variances.sql"), bindings).await?;
    // Drafted explanations belong to the annual report (a period report has no explanations
    // folder of its own).
    let drafts = match request.period {
        Some(_) => HashMap::new(),
        None => drafts::drafts(&mut session, &folder, bindings, &labels, request.lang).await?,
    };
    add_variances(&mut chapters, &variances, &drafts, &labels)?;

    let mut overview_charts = Vec::new();
    for path in data::sql_files(&folder.join("charts"))? {
        let records = data::run_file(&mut session, &path, bindings).await?;
        let key = data::table_key(&path);
        for (fund, chart) in charts::charts(&records, &key, &labels, &fund_names, chart_prefix)? {
            match chapters
                .iter_mut()
                .find(|c| Some(&c.fund_code) == fund.as_ref())
            {
                Some(chapter) => place_chart(chapter, chart),
                None => overview_charts.push(chart),
            }
        }
    }

    let summary = data::run_file(&mut session, &folder.join("summary.sql"), bindings).await?;
    let count = |name: &str| -> Result<String> {
        let column = summary.column(name)?;
        Ok(if summary.rows.is_empty() {
            "0".into()
        } else {
            summary.text(0, column).to_string()
        })
    };
    // Every column of summary.sql's row fills its `{column}` in the label's text.
    let mut summary_text = labels.text("summary");
    for (name, _) in &summary.columns {
        summary_text = summary_text.replace(&format!("{{{name}}}"), &count(name)?);
    }
    let period_name = request
        .period
        .map(|p| labels.value(&p.label_key()))
        .unwrap_or_default();
    Ok(Report {
        lang: request.lang.code(),
        title: labels
            .text("title")
            .replace("{region}", &region_name)
            .replace("{year}", &year.to_string())
            .replace("{period}", &period_name),
        region_code: region.to_string(),
        year,
        as_of: workspace.as_of.as_ref().map(|a| match a {
            AsOf::Version(version) => format!("v{version}"),
            AsOf::Timestamp(time) => time.clone(),
        }),
        summary: summary_text,
        missing: count("missing")?,
        labels: labels.json,
        charts: overview_charts,
        chapters,
    })
}

/// Checks that the ledger has the region and year (or period); the error lists what it has.
async fn check_period(
    session: &mut Session,
    folder: &Path,
    bindings: &data::Bindings,
) -> Result<String> {
    let region = bindings.region.as_str();
    let (wanted, column) = match &bindings.period {
        Some(period) => (period.clone(), "period"),
        None => (bindings.year.to_string(), "year"),
    };
    let periods = data::run_file(session, &folder.join("periods.sql"), bindings).await?;
    let (code, name, years) = (
        periods.column("region_code")?,
        periods.column("region_name")?,
        periods.column(column)?,
    );
    for row in 0..periods.rows.len() {
        if periods.text(row, code) == region && periods.text(row, years) == wanted {
            let region_name = periods.text(row, name);
            return Ok(if region_name.is_empty() {
                region.to_string()
            } else {
                region_name.to_string()
            });
        }
    }
    let mut available: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for row in 0..periods.rows.len() {
        let label = format!("{} {}", periods.text(row, code), periods.text(row, name));
        available
            .entry(label.trim().to_string())
            .or_default()
            .push(periods.text(row, years));
    }
    let listing = if available.is_empty() {
        "the ledger is empty; import one with `fundq import FILE --table ledger`".to_string()
    } else {
        let lines: Vec<String> = available
            .iter()
            .map(|(region, years)| format!("  {region}: {}", years.join(", ")))
            .collect();
        format!("the ledger has:\n{}", lines.join("\n"))
    };
    Err(Error::Usage(format!(
        "no ledger rows for region {region} in {wanted}; {listing}"
    )))
}

fn chapters(funds: &Records, labels: &Labels, lang: Language) -> Result<Vec<Chapter>> {
    let (code, name_zh, name_en) = (
        funds.column("fund_code")?,
        funds.column("name_zh")?,
        funds.column("name_en")?,
    );
    Ok((0..funds.rows.len())
        .map(|row| {
            let name = match (lang, funds.text(row, name_en)) {
                (Language::En, english) if !english.is_empty() => english,
                _ => funds.text(row, name_zh),
            };
            Chapter {
                number: labels.numeral(row),
                fund_code: funds.text(row, code).to_string(),
                name: name.to_string(),
                tables: Vec::new(),
                charts: Vec::new(),
            }
        })
        .collect())
}

/// Splits a table query's rows by fund and adds a table to each chapter that has rows.
fn add_tables(
    chapters: &mut [Chapter],
    records: &Records,
    key: &str,
    labels: &Labels,
) -> Result<()> {
    let fund = records.column("fund_code")?;
    let meta = |name: &str| records.columns.iter().position(|(n, _)| n == name);
    let (flagged, total, level) = (meta("_flagged"), meta("_total"), meta("_level"));
    let shown: Vec<usize> = (0..records.columns.len())
        .filter(|&i| i != fund && !records.columns[i].0.starts_with('_'))
        .collect();
    for chapter in chapters.iter_mut() {
        let rows: Vec<usize> = (0..records.rows.len())
            .filter(|&r| records.text(r, fund) == chapter.fund_code)
            .collect();
        if rows.is_empty() {
            continue;
        }
        // A column with no value for this fund (say, `kind` where no item is a memo) is left out.
        let columns: Vec<usize> = shown
            .iter()
            .copied()
            .filter(|&c| rows.iter().any(|&r| records.rows[r][c].is_some()))
            .collect();
        let is_true = |r: usize, c: Option<usize>| c.is_some_and(|c| records.text(r, c) == "true");
        chapter.tables.push(Table {
            key: key.to_string(),
            title: labels.section("tables", key),
            columns: columns
                .iter()
                .map(|&c| {
                    let decimals = data::decimals(&records.columns[c].1);
                    Column {
                        label: labels.section("columns", &records.columns[c].0),
                        numeric: decimals.is_some(),
                        decimals,
                    }
                })
                .collect(),
            rows: rows
                .iter()
                .map(|&r| Row {
                    cells: columns
                        .iter()
                        .map(|&c| cell(records, r, c, labels))
                        .collect(),
                    flagged: is_true(r, flagged),
                    total: is_true(r, total),
                    level: level
                        .and_then(|c| records.text(r, c).parse().ok())
                        .unwrap_or(0),
                })
                .collect(),
            variances: Vec::new(),
            charts: Vec::new(),
        });
    }
    Ok(())
}

/// A value as shown: a `…_key` column's code becomes its label; numbers keep their text.
fn cell(records: &Records, row: usize, column: usize, labels: &Labels) -> Cell {
    let (name, data_type) = &records.columns[column];
    let text = records.text(row, column);
    if name.ends_with("_key") && !text.is_empty() {
        return Cell {
            text: labels.value(text),
            number: None,
        };
    }
    Cell {
        text: text.to_string(),
        number: data::decimals(data_type).and_then(|_| text.parse().ok()),
    }
}

/// Places each variance under the table it belongs to (`report_table` = the table's key), with
/// the `note` table's text or else its drafted explanation.
fn add_variances(
    chapters: &mut [Chapter],
    records: &Records,
    drafts: &HashMap<drafts::VarianceKey, String>,
    labels: &Labels,
) -> Result<()> {
    let (fund, table, item, measure, figure, note) = (
        records.column("fund_code")?,
        records.column("report_table")?,
        records.column("item_name")?,
        records.column("measure")?,
        records.column("figure")?,
        records.column("note")?,
    );
    for row in 0..records.rows.len() {
        let home = chapters
            .iter_mut()
            .filter(|c| c.fund_code == records.text(row, fund))
            .flat_map(|c| c.tables.iter_mut())
            .find(|t| t.key == records.text(row, table));
        let Some(home) = home else { continue };
        home.variances.push(Variance {
            item_name: records.text(row, item).to_string(),
            measure: labels.value(records.text(row, measure)),
            figure: records.text(row, figure).to_string(),
            note: records.rows[row][note].clone(),
            draft: drafts.get(&drafts::variance_key(records, row)?).cloned(),
        });
    }
    Ok(())
}

/// A chart goes under the table with its key, else to the end of the chapter.
fn place_chart(chapter: &mut Chapter, chart: Chart) {
    match chapter.tables.iter_mut().find(|t| t.key == chart.key) {
        Some(table) => table.charts.push(chart),
        None => chapter.charts.push(chart),
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::SqlFile {
        file: path.to_path_buf(),
        line: e.line(),
        message: format!("not valid JSON: {e}"),
    })
}

/// Sets every entry of `over` in `base`, section by section (`tables`, `columns`, …).
fn lay_over(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() => lay_over(existing, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// The labels of one language, `sql/report/labels/<lang>.json`.
pub struct Labels {
    json: serde_json::Value,
}

impl Labels {
    /// The annual report's labels, with those of `folder` (a period report's) laid over them.
    fn load(annual_folder: &Path, folder: &Path, lang: Language) -> Result<Labels> {
        let file = |folder: &Path| folder.join("labels").join(format!("{}.json", lang.code()));
        let mut json = read_json(&file(annual_folder))?;
        if folder != annual_folder {
            lay_over(&mut json, read_json(&file(folder))?);
        }
        Ok(Labels { json })
    }

    /// A top-level text; the key itself when the file lacks it.
    fn text(&self, key: &str) -> String {
        self.json[key].as_str().unwrap_or(key).to_string()
    }

    /// An entry of a section (`tables`, `columns`, `charts`, `values`), or the key itself.
    fn section(&self, section: &str, key: &str) -> String {
        self.json[section][key].as_str().unwrap_or(key).to_string()
    }

    fn value(&self, key: &str) -> String {
        self.section("values", key)
    }

    /// The chapter number for the `index`-th fund (一, 二, … in Chinese).
    fn numeral(&self, index: usize) -> String {
        self.json["numerals"][index]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| (index + 1).to_string())
    }
}
