//! The workspace: where a fundq invocation finds its data and its SQL.
//!
//! One [`Workspace`] value is built in `main` from `--data`/`--sql` (or `FUNDQ_DATA`/`FUNDQ_SQL`)
//! and passed to every command; nothing else in fundq reads paths from the environment.

use std::path::PathBuf;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::storage::AsOf;

/// The folders and settings one invocation works with.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Holds one sub-folder per table.
    pub data_dir: PathBuf,
    /// Holds `views/`, `queries/` and `tables/`.
    pub sql_dir: PathBuf,
    /// Read every Delta table as it was at this version or time.
    pub as_of: Option<AsOf>,
    /// Bytes queries may hold in memory; sorts, aggregations and joins beyond it spill to
    /// temporary files or fail with "Resources exhausted". `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Where `run`, `sql` and `report` execute (`--engine`); other commands run locally.
    pub engine: Engine,
    /// Tables whose Parquet files add up to at most this many bytes are read into memory once
    /// per session (`--small-table-mb`); 0: never.
    pub small_table_bytes: u64,
}

/// `--small-table-mb`'s default: 4 MiB of Parquet.
pub const DEFAULT_SMALL_TABLE_BYTES: u64 = 4 << 20;

impl Workspace {
    /// Checks that both folders exist, so later errors need not guess why nothing was found.
    pub fn new(data_dir: PathBuf, sql_dir: PathBuf, as_of: Option<AsOf>) -> Result<Workspace> {
        for (what, dir, hint) in [
            ("data", &data_dir, "--data DIR or FUNDQ_DATA"),
            ("sql", &sql_dir, "--sql DIR or FUNDQ_SQL"),
        ] {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "{what} folder `{}` does not exist; run fundq from the project folder or give {hint}",
                    dir.display()
                )));
            }
        }
        Ok(Workspace {
            data_dir,
            sql_dir,
            as_of,
            memory_limit: None,
            engine: Engine::Local,
            small_table_bytes: DEFAULT_SMALL_TABLE_BYTES,
        })
    }
}
