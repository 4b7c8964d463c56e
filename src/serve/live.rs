//! The catalog a running server answers from, kept in step with the folders.
//!
//! When [`super::changes`] says the folders may have changed, the server compares a fingerprint
//! of `sql/` (every file's name, size and modification time) and of the data folder (each
//! table's Delta log, or its Parquet files) with the one it was built from. When they differ it builds a new `SessionContext`: an edited
//! view, a new view version or a finished import is visible to the next statement, without a
//! restart. Statements already running finish on the context they started with. A rebuild that
//! fails (a broken edit) keeps the previous catalog and says why on stderr.
//!
//! Each snapshot carries the planned statements and kept answers of the Postgres server
//! ([`super::cache`]); a rebuilt snapshot starts without any, which is what makes them safe.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;
use datafusion_postgres::DfSessionService;
use datafusion_postgres::auth::AuthManager;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use tokio::sync::Mutex;

use super::cache::{Answers, ServedNames, Statements};
use super::changes::Changes;
use super::{pg_catalog, pg_functions};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::workspace::Workspace;

/// The current catalog, rebuilt when the folders change.
pub struct Live {
    workspace: Workspace,
    runtime: Arc<RuntimeEnv>,
    /// The memory each snapshot's kept answers may take.
    answer_budget_bytes: usize,
    changes: Changes,
    current: RwLock<Snapshot>,
    /// Held while one statement rebuilds, so concurrent statements do not all rebuild.
    rebuilding: Mutex<()>,
}

/// One built catalog and the fingerprint of the folders it was built from.
#[derive(Clone)]
pub struct Snapshot {
    fingerprint: u64,
    pub context: Arc<SessionContext>,
    pub pg: Arc<DfSessionService>,
    pub statements: Arc<Statements>,
    pub answers: Arc<Answers>,
}

impl Live {
    pub async fn open(
        workspace: Workspace,
        runtime: Arc<RuntimeEnv>,
        answer_budget_bytes: usize,
    ) -> Result<Live> {
        // Watching starts first, so that a change during the first build is an event.
        let changes = Changes::watch(&workspace);
        let fingerprint = fingerprint(&workspace);
        let snapshot = build(&workspace, &runtime, fingerprint, answer_budget_bytes).await?;
        Ok(Live {
            workspace,
            runtime,
            answer_budget_bytes,
            changes,
            current: RwLock::new(snapshot),
            rebuilding: Mutex::new(()),
        })
    }

    /// The catalog as last built, without looking at the folders.
    pub fn current(&self) -> Snapshot {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The catalog as the folders are now.
    pub async fn snapshot(&self) -> Snapshot {
        if !self.changes.may_have_changed() {
            return self.current();
        }
        let token = self.changes.begin_comparison();
        let snapshot = self.compared_snapshot().await;
        self.changes.compared(token);
        snapshot
    }

    /// The catalog after comparing a fingerprint of the folders with the current one's,
    /// rebuilt when they differ.
    async fn compared_snapshot(&self) -> Snapshot {
        let fingerprint = fingerprint(&self.workspace);
        if self.current().fingerprint == fingerprint {
            return self.current();
        }
        let _rebuilding = self.rebuilding.lock().await;
        if self.current().fingerprint == fingerprint {
            return self.current();
        }
        let rebuilt = build(
            &self.workspace,
            &self.runtime,
            fingerprint,
            self.answer_budget_bytes,
        )
        .await;
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match rebuilt {
            Ok(rebuilt) => {
                eprintln!("fundq serve: sql/ or data/ changed; catalog rebuilt");
                *current = rebuilt;
            }
            Err(e) => {
                eprintln!(
                    "fundq serve: sql/ or data/ changed, but the catalog could not be rebuilt, \
                     so the previous one stays: {e}"
                );
                current.fingerprint = fingerprint;
            }
        }
        current.clone()
    }
}

async fn build(
    workspace: &Workspace,
    runtime: &Arc<RuntimeEnv>,
    fingerprint: u64,
    answer_budget_bytes: usize,
) -> Result<Snapshot> {
    let mut session = Session::open_with_runtime(workspace, runtime.clone())?;
    for left_out in session.register_everything().await? {
        eprintln!("fundq serve: not served: {left_out}");
    }
    let context = Arc::new(session.context().clone());
    let served = served_names(&context);
    // The provider by value: datafusion-pg-catalog 0.19's impl for `Arc<T>` calls itself, so a
    // read of `pg_roles` through an `Arc` overflowed the stack and aborted the server.
    setup_pg_catalog(&context, "datafusion", AuthManager::new()).map_err(|e| Error::Query(*e))?;
    pg_functions::register(&context);
    let described = pg_catalog::describe(&session, &workspace.sql_dir).await;
    pg_catalog::install(&context, &described)
        .await
        .map_err(Error::Query)?;
    let pg = Arc::new(DfSessionService::new(context.clone()));
    Ok(Snapshot {
        fingerprint,
        context,
        pg,
        statements: Arc::new(Statements::new(served)),
        answers: Arc::new(Answers::new(answer_budget_bytes)),
    })
}

/// fundq's tables and views: what the context holds in its default schema before the
/// Postgres catalog is added.
fn served_names(context: &SessionContext) -> ServedNames {
    let defaults = context.state().config().options().catalog.clone();
    let relations = context
        .catalog(&defaults.default_catalog)
        .and_then(|catalog| catalog.schema(&defaults.default_schema))
        .map(|schema| schema.table_names().into_iter().collect())
        .unwrap_or_default();
    ServedNames {
        catalog: defaults.default_catalog,
        schema: defaults.default_schema,
        relations,
    }
}

/// A hash of what the catalog is built from; unreadable entries count as changes, not errors.
fn fingerprint(workspace: &Workspace) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_tree(&workspace.sql_dir, &mut hasher);
    if let Ok(entries) = std::fs::read_dir(&workspace.data_dir) {
        let mut tables: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        tables.sort();
        for table in tables {
            let log = table.join("_delta_log");
            // A Delta table changes only by adding log entries; a plain Parquet folder by its files.
            hash_folder(if log.is_dir() { &log } else { &table }, &mut hasher);
        }
    }
    hasher.finish()
}

fn hash_tree(dir: &Path, hasher: &mut DefaultHasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_tree(&path, hasher);
        } else {
            hash_file(&path, hasher);
        }
    }
}

fn hash_folder(dir: &Path, hasher: &mut DefaultHasher) {
    dir.hash(hasher);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        hash_file(&path, hasher);
    }
}

fn hash_file(path: &Path, hasher: &mut DefaultHasher) {
    path.hash(hasher);
    if let Ok(metadata) = std::fs::metadata(path) {
        metadata.len().hash(hasher);
        metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .hash(hasher);
    }
}
