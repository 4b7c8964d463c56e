//! The commands behind the CLI: each takes the [`Workspace`] and its own options, does its work
//! through the session, and prints through `output`. `main.rs` only parses arguments and calls
//! one of these; nothing here parses a command line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{col, lit};
use futures::TryStreamExt;

use crate::catalog::Runnable;
use crate::error::{Error, Result, closest_names};
use crate::import::{self, ImportOptions};
use crate::output::{OutputFormat, write_rows};
use crate::session::Session;
use crate::storage::{self, TableFormat};
use crate::workspace::Workspace;
use crate::{audit, checks, lock};

/// Where and how a command prints its rows.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub format: OutputFormat,
    pub file: Option<PathBuf>,
}

/// `fundq views --lock`: records every view version not yet in `sql/views.lock`.
pub fn lock_views(workspace: &Workspace) -> Result<()> {
    let catalog = crate::catalog::Catalog::load(&workspace.sql_dir)?;
    let locked = lock::lock_new_versions(&catalog)?;
    if locked.is_empty() {
        eprintln!("every view version is already locked");
    }
    for entry in &locked {
        eprintln!(
            "locked {}@v{} ({})",
            entry.view,
            entry.version,
            entry.path.display()
        );
    }
    Ok(())
}

/// `fundq check`: catalog checks and the data-quality rules of `sql/checks/`; fails when any
/// finding is an error.
pub async fn check(workspace: &Workspace, output: &Output) -> Result<()> {
    let findings = checks::run_checks(workspace).await?;
    let (schema, batch) = checks::findings_batch(&findings)?;
    write_rows(output.format, &schema, &[batch], output.file.as_deref())?;
    let (errors, warnings, infos) = checks::counts(&findings);
    let summary = format!("check: {errors} error(s), {warnings} warning(s), {infos} info");
    eprintln!("{summary}");
    if errors > 0 {
        return Err(Error::Findings(format!(
            "{errors} error(s) found; fix the data or the SQL files named above"
        )));
    }
    Ok(())
}

/// `fundq audit`: compares a report's stated figures with the ledger; fails when any finding
/// is more than a rounding difference.
pub async fn audit(workspace: &Workspace, file: &Path, output: &Output) -> Result<()> {
    let result = audit::audit_file(workspace, file).await?;
    let (schema, batch) = audit::findings_batch(&result.findings)?;
    write_rows(output.format, &schema, &[batch], output.file.as_deref())?;
    let count = |class: audit::Class| result.findings.iter().filter(|f| f.class == class).count();
    let by_class: Vec<String> = audit::Class::ALL
        .iter()
        .map(|&class| format!("{} {}", count(class), class.label()))
        .collect();
    eprintln!(
        "audit: {} stated figure(s), {} agree with the ledger; findings: {}",
        result.stated,
        result.stated - result.findings.len(),
        by_class.join(", ")
    );
    let serious = result.findings.len() - count(audit::Class::Rounding);
    if serious > 0 {
        return Err(Error::Findings(format!(
            "{serious} stated figure(s) disagree with the ledger beyond rounding"
        )));
    }
    Ok(())
}

/// `fundq report`: the annual fund report of one region and year.
pub async fn report(workspace: &Workspace, request: &crate::report::ReportRequest) -> Result<()> {
    let written = crate::report::write_report(workspace, request).await?;
    eprintln!("wrote {}", written.display());
    Ok(())
}

/// `fundq views`: every view with its versions and description, then the named queries.
pub fn views(workspace: &Workspace, output: &Output) -> Result<()> {
    let session = Session::open(workspace)?;
    let catalog = session.catalog();
    let mut rows: Vec<[String; 5]> = Vec::new();
    for (name, versions) in catalog.views() {
        let latest = versions.last().expect("a view has at least one version");
        rows.push([
            name.clone(),
            "view".into(),
            versions
                .iter()
                .map(|v| format!("v{}", v.version))
                .collect::<Vec<_>>()
                .join(", "),
            format!("v{}", latest.version),
            headline(&latest.description),
        ]);
    }
    for query in catalog.queries() {
        rows.push([
            query.name.clone(),
            "query".into(),
            String::new(),
            String::new(),
            headline(&query.description),
        ]);
    }
    for problem in &catalog.problems {
        eprintln!("warning: {problem}");
    }
    print_strings(
        ["name", "kind", "versions", "latest", "description"],
        rows,
        output,
    )
}

/// The first phrase of a description (up to its first `: ` or `. `); `show` prints the rest.
fn headline(description: &str) -> String {
    let end = [": ", ". "]
        .iter()
        .filter_map(|sep| description.find(sep))
        .min()
        .unwrap_or(description.len());
    description[..end].to_string()
}

/// `fundq show`: a view version's file, SQL and output schema.
pub async fn show(workspace: &Workspace, reference: &str) -> Result<()> {
    let mut session = Session::open(workspace)?;
    let runnable = session.catalog().runnable(reference)?;
    let (path, sql) = match runnable {
        Runnable::View(v) => (v.path.clone(), v.sql.clone()),
        Runnable::Query(q) => (q.path.clone(), q.sql.clone()),
    };
    println!("-- {}", path.display());
    println!("{}", sql.trim_end());
    println!();
    let frame = match runnable {
        Runnable::View(v) => {
            let view = v.clone();
            session.view_frame(&view).await
        }
        Runnable::Query(q) => {
            let query = q.clone();
            session.sql_frame(&query.sql, &query.path).await
        }
    };
    match frame {
        Ok(frame) => {
            println!("-- output columns");
            for field in frame.schema().fields() {
                println!(
                    "--   {} {}{}",
                    field.name(),
                    field.data_type(),
                    if field.is_nullable() { "" } else { " NOT NULL" }
                );
            }
            Ok(())
        }
        Err(e) => {
            println!("-- cannot show output columns: {e}");
            Err(e)
        }
    }
}

/// `fundq tables`: every table of the data folder with its storage format and row count.
pub async fn tables(workspace: &Workspace, output: &Output) -> Result<()> {
    let mut session = Session::open(workspace)?;
    let locations: Vec<_> = session.tables().values().cloned().collect();
    let mut names = Vec::new();
    let mut formats = Vec::new();
    let mut counts = Vec::new();
    let mut paths = Vec::new();
    for location in locations {
        let rows = session.table_frame(&location.name).await?.count().await?;
        names.push(location.name.clone());
        formats.push(location.format.label().to_string());
        counts.push(rows as i64);
        paths.push(location.path.display().to_string());
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("table", DataType::Utf8, false),
        Field::new("format", DataType::Utf8, false),
        Field::new("rows", DataType::Int64, false),
        Field::new("path", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(names)),
        Arc::new(StringArray::from(formats)),
        Arc::new(Int64Array::from(counts)),
        Arc::new(StringArray::from(paths)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    write_rows(output.format, &schema, &[batch], output.file.as_deref())
}

/// `fundq run`: a view (latest or pinned) or a named query, filtered, printed.
pub async fn run(
    workspace: &Workspace,
    reference: &str,
    params: &[(String, String)],
    filters: &[(String, String)],
    output: &Output,
) -> Result<()> {
    let mut session = Session::connect(workspace).await?;
    let frame = match session.catalog().runnable(reference)? {
        Runnable::View(view) => {
            if !params.is_empty() {
                return Err(Error::Usage(format!(
                    "`{reference}` is a view and takes no --param; use --filter column=value"
                )));
            }
            let view = view.clone();
            session.view_frame(&view).await?
        }
        Runnable::Query(query) => {
            let query = query.clone();
            let frame = session.sql_frame(&query.sql, &query.path).await?;
            bind_params(frame, params, &query.path, &query.sql)?
        }
    };
    let frame = apply_filters(frame, filters)?;
    print_frame(frame, output).await
}

/// `fundq serve`: the Postgres wire and Flight SQL servers, in a binary built with the `serve`
/// feature (a default one; `--no-default-features` leaves the server stack out of the build).
pub async fn serve(
    workspace: &Workspace,
    pg: Option<String>,
    flight: Option<String>,
    config: Option<PathBuf>,
) -> Result<()> {
    #[cfg(feature = "serve")]
    {
        let args = crate::serve::ServeArgs { pg, flight, config };
        crate::serve::serve(workspace, &args).await
    }
    #[cfg(not(feature = "serve"))]
    {
        let _ = (workspace, pg, flight, config);
        Err(Error::Usage(
            "this fundq was built without the `serve` feature (`--no-default-features`); \
             rebuild it with its default features, for example `cargo build --profile dist`"
                .into(),
        ))
    }
}

/// `fundq sql`: ad-hoc read-only SQL over every table and view.
pub async fn sql(workspace: &Workspace, statement: &str, output: &Output) -> Result<()> {
    let mut session = Session::connect(workspace).await?;
    let frame = session
        .sql_frame(statement, Path::new("<command line>"))
        .await?;
    print_frame(frame, output).await
}

/// `fundq import`: validate a file and commit it to a table.
pub async fn import(
    workspace: &Workspace,
    file: &Path,
    table: &str,
    options: &ImportOptions,
) -> Result<()> {
    let summary = import::import_file(workspace, file, table, options).await?;
    for note in &summary.notes {
        eprintln!("note: {note}");
    }
    if let (Some(reject), true) = (&options.reject, summary.rejected > 0) {
        eprintln!(
            "rejected {} row(s), written with their reasons to {}",
            summary.rejected,
            reject.display()
        );
    }
    match summary.version {
        Some(version) => eprintln!(
            "imported {} row(s) into `{}` (table version {version})",
            summary.rows, summary.table
        ),
        None if options.dry_run => eprintln!(
            "dry run: {} valid row(s) for `{}`; nothing was written",
            summary.rows, summary.table
        ),
        None => {
            return Err(Error::Findings(format!(
                "no valid rows in {}; nothing was written",
                file.display()
            )));
        }
    }
    Ok(())
}

/// `fundq history`: the commits of a Delta table, newest first.
pub async fn history(workspace: &Workspace, table: &str, output: &Output) -> Result<()> {
    let tables = storage::discover_tables(&workspace.data_dir)?;
    let Some(location) = tables.get(table) else {
        return Err(Error::UnknownName {
            kind: "table",
            name: table.to_string(),
            closest: closest_names(table, tables.keys().map(String::as_str)),
        });
    };
    if location.format != TableFormat::Delta {
        return Err(Error::Table {
            table: table.to_string(),
            path: location.path.clone(),
            message: "plain Parquet tables keep no history".into(),
        });
    }
    let delta = storage::load_delta(location, None).await?;
    let commits: Vec<_> = delta.history(None).try_collect().await?;
    let latest = delta.version().unwrap_or_default();
    let mut rows = Vec::new();
    for (offset, commit) in commits.iter().enumerate() {
        let info = |key: &str| {
            commit
                .info
                .get(key)
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_default()
        };
        let metric = |key: &str| {
            commit
                .info
                .get("operationMetrics")
                .and_then(|m| m.get(key))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let time = commit
            .timestamp
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        rows.push([
            latest.saturating_sub(offset as u64).to_string(),
            time,
            commit.operation.clone().unwrap_or_default(),
            metric("num_added_rows"),
            metric("num_removed_rows"),
            info("fundq.source_file"),
            info("fundq.source_sha256"),
        ]);
    }
    print_strings(
        [
            "version",
            "time",
            "operation",
            "rows_added",
            "rows_removed",
            "source_file",
            "source_sha256",
        ],
        rows,
        output,
    )
}

async fn print_frame(frame: DataFrame, output: &Output) -> Result<()> {
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    write_rows(output.format, &schema, &batches, output.file.as_deref())
}

fn print_strings<const N: usize>(
    header: [&str; N],
    rows: Vec<[String; N]>,
    output: &Output,
) -> Result<()> {
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..N)
        .map(|i| {
            Arc::new(StringArray::from(
                rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>(),
            )) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    write_rows(output.format, &schema, &[batch], output.file.as_deref())
}

/// Keeps the rows where each `column = value`, the value typed as the column.
fn apply_filters(mut frame: DataFrame, filters: &[(String, String)]) -> Result<DataFrame> {
    for (column, value) in filters {
        let schema = frame.schema().clone();
        let Some((_, field)) = schema.qualified_field_with_unqualified_name(column).ok() else {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(Error::Usage(format!(
                "--filter {column}={value}: no column `{column}`{}; columns are: {}",
                closest_names(column, names.iter().copied())
                    .first()
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default(),
                names.join(", ")
            )));
        };
        let typed = typed_value(value, field.data_type())
            .map_err(|why| Error::Usage(format!("--filter {column}={value}: {why}")))?;
        frame = frame.filter(col(format!("\"{column}\"")).eq(lit(typed)))?;
    }
    Ok(frame)
}

/// Binds `--param k=v` values to a query's `$k` placeholders, each typed as the query uses it.
fn bind_params(
    frame: DataFrame,
    params: &[(String, String)],
    path: &Path,
    sql: &str,
) -> Result<DataFrame> {
    let expected = frame.logical_plan().get_parameter_types()?;
    let given: HashMap<&str, &str> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut names: Vec<&String> = expected.keys().collect();
    names.sort();
    let mut values = HashMap::new();
    for placeholder in names {
        let name = placeholder.trim_start_matches('$');
        let Some(text) = given.get(name) else {
            return Err(Error::Usage(format!(
                "{} needs --param {name}=VALUE (parameters: {})",
                path.display(),
                parameter_list(&expected)
            )));
        };
        let data_type = expected[placeholder].clone().ok_or_else(|| Error::SqlFile {
            file: path.to_path_buf(),
            line: crate::catalog::first_line_mentioning(sql, name),
            message: format!("cannot tell the type of ${name}; write CAST(${name} AS INT) or compare it with a column"),
        })?;
        let typed = typed_value(text, &data_type)
            .map_err(|why| Error::Usage(format!("--param {name}={text}: {why}")))?;
        values.insert(name.to_string(), typed);
    }
    for name in given.keys() {
        if !expected.contains_key(&format!("${name}")) {
            return Err(Error::Usage(format!(
                "{} has no parameter ${name} (parameters: {})",
                path.display(),
                parameter_list(&expected)
            )));
        }
    }
    Ok(frame.with_param_values(values)?)
}

fn parameter_list(expected: &HashMap<String, Option<DataType>>) -> String {
    let mut names: Vec<&str> = expected.keys().map(String::as_str).collect();
    names.sort();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Converts command-line text to a value of `data_type` (a typed value, never spliced into SQL).
fn typed_value(text: &str, data_type: &DataType) -> std::result::Result<ScalarValue, String> {
    ScalarValue::try_from_string(text.to_string(), data_type)
        .map_err(|_| format!("`{text}` is not a valid {data_type}"))
}
