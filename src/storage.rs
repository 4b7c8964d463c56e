//! Storage: the tables of the data folder and how they are read and written.
//!
//! Every sub-folder of the data folder is a table named after the folder (names starting with `.`
//! or `_` are skipped, files are ignored). A folder with a `_delta_log` is a Delta Lake table:
//! every write is one atomic commit and earlier versions stay readable. A folder without one is a
//! read-only table over the plain Parquet files in it, so Parquet from other tools can be dropped
//! in. This module opens tables for reading and commits writes; it knows nothing of views.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::SessionState;
use deltalake::kernel::transaction::{CommitProperties, TransactionError};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError};
use url::Url;

use crate::error::{Error, Result};

/// How a table folder stores its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Parquet files plus a Delta transaction log: writable, with history.
    Delta,
    /// Plain Parquet files: read-only, no history.
    Parquet,
}

impl TableFormat {
    pub fn label(self) -> &'static str {
        match self {
            TableFormat::Delta => "delta",
            TableFormat::Parquet => "parquet",
        }
    }
}

/// A table found in the data folder.
#[derive(Debug, Clone)]
pub struct TableLocation {
    pub name: String,
    pub path: PathBuf,
    pub format: TableFormat,
}

/// Which state of the Delta tables to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf {
    /// Each table as it was at this commit version.
    Version(u64),
    /// Each table as it was at this instant (RFC 3339, or a date `YYYY-MM-DD`).
    Timestamp(String),
}

impl std::str::FromStr for AsOf {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if let Ok(version) = s.parse::<u64>() {
            return Ok(AsOf::Version(version));
        }
        let timestamp = if s.len() == 10 {
            format!("{s}T23:59:59.999Z")
        } else {
            s.to_string()
        };
        chrono::DateTime::parse_from_rfc3339(&timestamp)
            .map(|_| AsOf::Timestamp(timestamp))
            .map_err(|_| {
                format!("`{s}` is neither a table version (0, 1, …) nor a time such as 2023-03-31 or 2023-03-31T12:00:00+08:00")
            })
    }
}

/// The tables of `data_dir`, by name.
pub fn discover_tables(data_dir: &Path) -> Result<BTreeMap<String, TableLocation>> {
    let entries = std::fs::read_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let mut tables = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(data_dir, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !path.is_dir() || name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let format = if path.join("_delta_log").is_dir() {
            TableFormat::Delta
        } else {
            TableFormat::Parquet
        };
        tables.insert(name.clone(), TableLocation { name, path, format });
    }
    Ok(tables)
}

/// True when the table's folder holds only Parquet files (no partition folders) adding up to at
/// most `limit` bytes. Files a Delta table no longer reads still count: an overestimate.
pub fn is_small(location: &TableLocation, limit: u64) -> bool {
    let Ok(entries) = std::fs::read_dir(&location.path) else {
        return false;
    };
    let mut bytes = 0u64;
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let Ok(metadata) = entry.metadata() else {
            return false;
        };
        if metadata.is_dir() && entry.file_name() != "_delta_log" {
            return false;
        }
        if entry.path().extension().is_some_and(|e| e == "parquet") {
            bytes += metadata.len();
            if bytes > limit {
                return false;
            }
        }
    }
    true
}

/// Opens a table for reading with DataFusion, at `as_of` when given.
pub async fn open_table(
    location: &TableLocation,
    as_of: Option<&AsOf>,
    state: &SessionState,
) -> Result<Arc<dyn TableProvider>> {
    match location.format {
        TableFormat::Delta => {
            let table = load_delta(location, as_of).await?;
            table
                .update_datafusion_session(state)
                .map_err(|e| table_error(location, e))?;
            table
                .table_provider()
                .await
                .map_err(|e| table_error(location, e))
        }
        TableFormat::Parquet => {
            if as_of.is_some() {
                return Err(Error::Table {
                    table: location.name.clone(),
                    path: location.path.clone(),
                    message: "plain Parquet tables keep no history, so --as-of cannot reproduce them; import the data into a Delta table".into(),
                });
            }
            open_parquet_folder(location, state).await
        }
    }
}

async fn open_parquet_folder(
    location: &TableLocation,
    state: &SessionState,
) -> Result<Arc<dyn TableProvider>> {
    let url = ListingTableUrl::parse(directory_url(&location.path)?.as_str())?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let schema = options
        .infer_schema(state, &url)
        .await
        .map_err(|e| Error::Table {
            table: location.name.clone(),
            path: location.path.clone(),
            message: format!(
                "no readable Parquet files ({}); a table folder holds *.parquet files or a Delta table",
                e.find_root()
            ),
        })?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// Loads the Delta log of a table, at `as_of` when given.
pub async fn load_delta(location: &TableLocation, as_of: Option<&AsOf>) -> Result<DeltaTable> {
    let url = directory_url(&location.path)?;
    let mut builder = DeltaTableBuilder::from_url(url).map_err(|e| table_error(location, e))?;
    builder = match as_of {
        None => builder,
        Some(AsOf::Version(v)) => builder.with_version(*v),
        Some(AsOf::Timestamp(ts)) => builder
            .with_datestring(ts)
            .map_err(|e| table_error(location, e))?,
    };
    builder.load().await.map_err(|e| table_error(location, e))
}

/// How a write treats rows already in the table.
#[derive(Debug, Clone)]
pub enum WriteMode {
    /// Add the rows; nothing is removed.
    Append,
    /// Remove every row matching this SQL predicate and add the new rows, in one commit.
    ReplaceWhere(String),
    /// Remove every row and add the new rows, in one commit.
    ReplaceAll,
}

/// The latest version of the Delta table at `path`; `None` when nothing was committed yet.
pub async fn latest_version(table_name: &str, path: &Path) -> Result<Option<u64>> {
    if !has_commits(path) {
        return Ok(None);
    }
    let table = load_delta(&delta_location(table_name, path), None).await?;
    Ok(table.version())
}

fn has_commits(path: &Path) -> bool {
    std::fs::read_dir(path.join("_delta_log")).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| e.path().extension().is_some_and(|x| x == "json"))
    })
}

fn delta_location(table_name: &str, path: &Path) -> TableLocation {
    TableLocation {
        name: table_name.to_string(),
        path: path.to_path_buf(),
        format: TableFormat::Delta,
    }
}

/// Commits `rows` to the Delta table at `path` (creating it if needed) in one atomic commit,
/// with `metadata` recorded in the commit for `fundq history`.
///
/// `read_version` is the version the caller validated against (`None`: the table did not exist).
/// The commit is made on top of exactly that version: if another writer committed in between,
/// this one fails and writes nothing, because the checks it passed (keys not yet stored) may no
/// longer hold. Never retried silently; the user re-runs the import.
pub async fn commit(
    table_name: &str,
    path: &Path,
    rows: DataFrame,
    mode: WriteMode,
    metadata: Vec<(String, serde_json::Value)>,
    read_version: Option<u64>,
) -> Result<DeltaTable> {
    let location = delta_location(table_name, path);
    std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
    let table = match read_version {
        Some(version) => load_delta(&location, Some(&AsOf::Version(version))).await?,
        None if has_commits(path) => return Err(concurrent_write(&location)),
        None => DeltaTable::try_from_url(directory_url(path)?)
            .await
            .map_err(|e| table_error(&location, e))?,
    };
    let properties = CommitProperties::default()
        .with_metadata(metadata)
        .with_max_retries(0);
    // Streamed from the plan: the rows are never all in memory at once. deltalake executes it
    // in a session of its own, which has the planner for its write nodes.
    let (_, plan) = rows.into_parts();
    let mut write = table
        .write(Vec::new())
        .with_input_plan(plan)
        .with_table_name(table_name)
        .with_commit_properties(properties);
    write = match mode {
        WriteMode::Append => write.with_save_mode(SaveMode::Append),
        WriteMode::ReplaceAll => write.with_save_mode(SaveMode::Overwrite),
        WriteMode::ReplaceWhere(predicate) => write
            .with_save_mode(SaveMode::Overwrite)
            .with_replace_where(predicate),
    };
    write.await.map_err(|e| commit_error(&location, e))
}

/// A commit that lost the race against another writer gets one clear, actionable message.
fn commit_error(location: &TableLocation, e: DeltaTableError) -> Error {
    match e {
        DeltaTableError::VersionAlreadyExists(_)
        | DeltaTableError::Transaction {
            source: TransactionError::MaxCommitAttempts(_) | TransactionError::CommitConflict(_),
        } => concurrent_write(location),
        other => table_error(location, other),
    }
}

fn concurrent_write(location: &TableLocation) -> Error {
    table_error(
        location,
        "another write committed to this table while this import was being checked; \
         nothing was written; retry the import (its checks will run against the new rows)",
    )
}

fn directory_url(path: &Path) -> Result<Url> {
    let absolute = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    Url::from_directory_path(&absolute).map_err(|()| Error::Table {
        table: String::new(),
        path: absolute,
        message: "cannot be expressed as a file URL".into(),
    })
}

fn table_error(location: &TableLocation, e: impl std::fmt::Display) -> Error {
    Error::Table {
        table: location.name.clone(),
        path: location.path.clone(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_small_when_its_parquet_files_fit_and_it_has_no_partition_folders() {
        let dir = tempfile::tempdir().unwrap();
        let location = delta_location("ledger", dir.path());
        std::fs::create_dir(dir.path().join("_delta_log")).unwrap();
        std::fs::write(
            dir.path().join("_delta_log/00000000000000000000.json"),
            [0u8; 500],
        )
        .unwrap();
        std::fs::write(dir.path().join("part-0.parquet"), [0u8; 600]).unwrap();
        std::fs::write(dir.path().join("part-1.parquet"), [0u8; 400]).unwrap();
        // 600 + 400 bytes of Parquet; the log does not count.
        assert!(is_small(&location, 1000));
        assert!(!is_small(&location, 999));
        std::fs::create_dir(dir.path().join("year=2022")).unwrap();
        assert!(
            !is_small(&location, 1000),
            "a partitioned table is never read whole"
        );
        let missing = delta_location("ledger", &dir.path().join("missing"));
        assert!(!is_small(&missing, 1000));
    }

    #[test]
    fn as_of_parses_versions_and_times() {
        assert_eq!("3".parse::<AsOf>(), Ok(AsOf::Version(3)));
        assert_eq!(
            "2023-03-31".parse::<AsOf>(),
            Ok(AsOf::Timestamp("2023-03-31T23:59:59.999Z".into()))
        );
        assert!("2023-03-31T12:00:00+08:00".parse::<AsOf>().is_ok());
        assert!("-1".parse::<AsOf>().is_err());
        assert!("yesterday".parse::<AsOf>().is_err());
    }

    #[test]
    fn discovery_skips_files_and_hidden_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ledger/_delta_log")).unwrap();
        std::fs::create_dir_all(dir.path().join("detail")).unwrap();
        std::fs::create_dir_all(dir.path().join("_scratch")).unwrap();
        std::fs::write(dir.path().join("ledger.csv"), "x").unwrap();
        let tables = discover_tables(dir.path()).unwrap();
        let names: Vec<_> = tables.keys().cloned().collect();
        assert_eq!(names, ["detail", "ledger"]);
        assert_eq!(tables["ledger"].format, TableFormat::Delta);
        assert_eq!(tables["detail"].format, TableFormat::Parquet);
    }
}
