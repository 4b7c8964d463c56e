//! `fundq check`: data-quality rules over the stored tables, and checks of the view catalog.
//!
//! A rule is a SQL file `sql/checks/<rule>.sql` returning one row per violation with the columns
//! `severity` (`error`, `warning` or `info`), `region_code`, `year`, `fund_code`, `item_code` and
//! `message`; the rule's name is its file name. A new rule is a new file, no rebuild. The
//! catalog checks are built in: every view version and named query must plan against the
//! current tables, and every published version must still match `sql/views.lock`.
//! A rule that cannot run is itself reported as an `error` finding, so one broken file does not
//! hide the others. The early-warning rules of `sql/warnings/` (reserve months, negative
//! balances, roll-up mismatches) have the same columns and run the same way, named
//! `warnings/<rule>`.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{cast, col};

use crate::catalog::sql_files_in;
use crate::error::{Error, Result};
use crate::lock::{self, LockState};
use crate::session::Session;
use crate::workspace::Workspace;

/// How serious a finding is; `error` makes `fundq check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One violation of one rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub severity: Severity,
    pub rule: String,
    pub region_code: Option<String>,
    pub year: Option<i32>,
    pub fund_code: Option<String>,
    pub item_code: Option<String>,
    pub message: String,
}

impl Finding {
    /// A finding about a file rather than about data (a view, a rule, the lock file).
    fn about_file(severity: Severity, rule: &str, message: String) -> Finding {
        Finding {
            severity,
            rule: rule.to_string(),
            region_code: None,
            year: None,
            fund_code: None,
            item_code: None,
            message,
        }
    }
}

/// The columns every rule returns.
const RULE_COLUMNS: [&str; 6] = [
    "severity",
    "region_code",
    "year",
    "fund_code",
    "item_code",
    "message",
];

/// The folders of `sql/` whose files are rules, with the prefix of their rule names.
const RULE_FOLDERS: [(&str, &str); 2] = [("checks", ""), ("warnings", "warnings/")];

/// Runs the catalog checks and every rule of `sql/checks/` and `sql/warnings/`; findings sorted
/// by severity, rule, region, year, fund and item.
pub async fn run_checks(workspace: &Workspace) -> Result<Vec<Finding>> {
    let mut session = Session::open(workspace)?;
    let mut findings = catalog_findings(&mut session).await?;
    for (folder, prefix) in RULE_FOLDERS {
        for rule in sql_files_in(&workspace.sql_dir.join(folder))? {
            let name = format!("{prefix}{}", rule_name(&rule));
            match rule_findings(&mut session, &rule, &name).await {
                Ok(found) => findings.extend(found),
                Err(e) => findings.push(Finding::about_file(
                    Severity::Error,
                    &name,
                    format!("the rule cannot run: {e}"),
                )),
            }
        }
    }
    findings.sort();
    Ok(findings)
}

/// Views and queries that do not plan, catalog layout problems, and the lock file.
async fn catalog_findings(session: &mut Session) -> Result<Vec<Finding>> {
    let mut findings: Vec<Finding> = session
        .catalog()
        .problems
        .iter()
        .map(|p| Finding::about_file(Severity::Warning, "catalog", p.clone()))
        .collect();
    let versions: Vec<_> = session.catalog().all_versions().cloned().collect();
    for version in &versions {
        let planned = match session.view_frame(version).await {
            Ok(frame) => frame
                .create_physical_plan()
                .await
                .map(|_| ())
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        if let Err(e) = planned {
            let finding = match session.tables_missing_here(version) {
                Some(tables) => Finding::about_file(
                    Severity::Info,
                    "view_plans",
                    format!(
                        "{}: `{}@v{}` cannot run on this data folder, which has no table `{}`",
                        version.path.display(),
                        version.name,
                        version.version,
                        tables.join("` or `")
                    ),
                ),
                None => Finding::about_file(
                    Severity::Error,
                    "view_plans",
                    format!("{}: {e}", version.path.display()),
                ),
            };
            findings.push(finding);
        }
    }
    let queries: Vec<_> = session.catalog().queries().cloned().collect();
    for query in &queries {
        if let Err(e) = session.sql_frame(&query.sql, &query.path).await {
            findings.push(Finding::about_file(
                Severity::Error,
                "query_plans",
                e.to_string(),
            ));
        }
    }
    for entry in lock::compare(session.catalog())? {
        let severity = match entry.state {
            LockState::Locked => continue,
            LockState::Unlocked => Severity::Info,
            LockState::Changed { .. } | LockState::Missing => Severity::Error,
        };
        let message = match entry.state {
            LockState::Unlocked => format!(
                "{}: `{}@v{}` is not locked yet; once it is published, run `fundq views --lock`",
                entry.path.display(),
                entry.view,
                entry.version
            ),
            _ => lock::describe_broken(&entry),
        };
        findings.push(Finding::about_file(severity, "view_lock", message));
    }
    Ok(findings)
}

/// Runs one rule file and reads its rows as findings of the rule `rule`.
async fn rule_findings(session: &mut Session, path: &Path, rule: &str) -> Result<Vec<Finding>> {
    let sql = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let frame = session.sql_frame(&sql, path).await?;
    let frame = with_rule_columns(frame, path)?;
    let mut findings = Vec::new();
    for batch in frame.collect().await? {
        findings.extend(batch_findings(&batch, rule, path)?);
    }
    Ok(findings)
}

/// The rule's rows reduced to [`RULE_COLUMNS`], cast to text (and `year` to INT).
fn with_rule_columns(frame: DataFrame, path: &Path) -> Result<DataFrame> {
    let schema = frame.schema().clone();
    let missing: Vec<&str> = RULE_COLUMNS
        .iter()
        .copied()
        .filter(|c| schema.qualified_field_with_unqualified_name(c).is_err())
        .collect();
    if !missing.is_empty() {
        return Err(Error::SqlFile {
            file: path.to_path_buf(),
            line: 1,
            message: format!(
                "a check returns the columns {}; missing: {}",
                RULE_COLUMNS.join(", "),
                missing.join(", ")
            ),
        });
    }
    let columns = RULE_COLUMNS.iter().map(|&name| {
        let data_type = if name == "year" {
            DataType::Int32
        } else {
            DataType::Utf8
        };
        cast(col(format!("\"{name}\"")), data_type).alias(name)
    });
    Ok(frame.select(columns.collect::<Vec<_>>())?)
}

fn batch_findings(batch: &RecordBatch, rule: &str, path: &Path) -> Result<Vec<Finding>> {
    let text = |i: usize| batch.column(i).as_string::<i32>();
    let (severity, region, fund, item, message) = (text(0), text(1), text(3), text(4), text(5));
    let year = batch.column(2).as_primitive::<Int32Type>();
    let optional = |array: &StringArray, row: usize| {
        (!array.is_null(row)).then(|| array.value(row).to_string())
    };
    let mut findings = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let stated = optional(severity, row).unwrap_or_default();
        let Some(level) = Severity::parse(&stated) else {
            return Err(Error::SqlFile {
                file: path.to_path_buf(),
                line: crate::catalog::first_line_mentioning(
                    &std::fs::read_to_string(path).unwrap_or_default(),
                    "severity",
                ),
                message: format!("severity must be 'error', 'warning' or 'info', not `{stated}`"),
            });
        };
        findings.push(Finding {
            severity: level,
            rule: rule.to_string(),
            region_code: optional(region, row),
            year: (!year.is_null(row)).then(|| year.value(row)),
            fund_code: optional(fund, row),
            item_code: optional(item, row),
            message: optional(message, row).unwrap_or_default(),
        });
    }
    Ok(findings)
}

/// The findings as rows: severity, rule, region_code, year, fund_code, item_code, message.
pub fn findings_batch(findings: &[Finding]) -> Result<(SchemaRef, RecordBatch)> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("severity", DataType::Utf8, false),
        Field::new("rule", DataType::Utf8, false),
        Field::new("region_code", DataType::Utf8, true),
        Field::new("year", DataType::Int32, true),
        Field::new("fund_code", DataType::Utf8, true),
        Field::new("item_code", DataType::Utf8, true),
        Field::new("message", DataType::Utf8, false),
    ]));
    let strings = |values: Vec<Option<&str>>| {
        let mut builder = StringBuilder::new();
        for value in values {
            builder.append_option(value);
        }
        Arc::new(builder.finish()) as ArrayRef
    };
    let columns: Vec<ArrayRef> = vec![
        strings(findings.iter().map(|f| Some(f.severity.label())).collect()),
        strings(findings.iter().map(|f| Some(f.rule.as_str())).collect()),
        strings(findings.iter().map(|f| f.region_code.as_deref()).collect()),
        Arc::new(Int32Array::from(
            findings.iter().map(|f| f.year).collect::<Vec<_>>(),
        )),
        strings(findings.iter().map(|f| f.fund_code.as_deref()).collect()),
        strings(findings.iter().map(|f| f.item_code.as_deref()).collect()),
        strings(findings.iter().map(|f| Some(f.message.as_str())).collect()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok((schema, batch))
}

/// Counts by severity, for the summary line: (errors, warnings, infos).
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    )
}

fn rule_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
