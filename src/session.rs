//! The session: the one place that builds DataFusion's `SessionContext` for fundq.
//!
//! Tables and views are registered on demand: asking for a view registers the tables and views
//! it needs, in dependency order, and nothing else, so a cold run touches only what it reads and
//! a view whose table is missing does not stop the others. Ad-hoc SQL and named queries get the
//! same treatment for the relations they mention. Statements are read-only here.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::empty::EmptyTable;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::ParquetReadOptions;

use crate::catalog::{Catalog, TableUse, ViewVersion, relation_name, sql_relations};
use crate::engine::{self, Engine};
use crate::error::{Error, Result, closest_names};
use crate::storage::{self, AsOf, TableLocation};
use crate::tabledef::TableDef;
use crate::workspace::Workspace;

/// A DataFusion context over one workspace's tables and views.
pub struct Session {
    ctx: SessionContext,
    catalog: Catalog,
    tables: BTreeMap<String, TableLocation>,
    data_dir: std::path::PathBuf,
    sql_dir: std::path::PathBuf,
    registered: BTreeSet<String>,
    /// Where plans run (tables are opened so that this engine can read them), and how.
    opening: Opening,
}

impl Session {
    /// Reads the view catalog and lists the tables; opens nothing yet.
    pub fn open(workspace: &Workspace) -> Result<Session> {
        let runtime = match workspace.memory_limit {
            Some(bytes) => bounded_runtime(bytes),
            None => RuntimeEnvBuilder::new(),
        };
        Self::open_with_runtime(workspace, runtime.build_arc()?)
    }

    /// Like [`Session::open`], with a runtime of its own (a memory limit, a spill folder).
    pub fn open_with_runtime(workspace: &Workspace, runtime: Arc<RuntimeEnv>) -> Result<Session> {
        Ok(Session {
            ctx: SessionContext::new_with_config_rt(session_config()?, runtime),
            catalog: Catalog::load(&workspace.sql_dir)?,
            tables: storage::discover_tables(&workspace.data_dir)?,
            data_dir: workspace.data_dir.clone(),
            sql_dir: workspace.sql_dir.clone(),
            registered: BTreeSet::new(),
            opening: Opening {
                engine: Engine::Local,
                as_of: workspace.as_of.clone(),
                small_table_bytes: workspace.small_table_bytes,
            },
        })
    }

    /// Like [`Session::open`], with plans running on the workspace's engine (`--engine`): for a
    /// Ballista cluster, tables are registered as files every executor reads.
    pub async fn connect(workspace: &Workspace) -> Result<Session> {
        let mut session = Self::open(workspace)?;
        if workspace.engine.is_distributed() {
            session.ctx = engine::distributed_context(&workspace.engine, session_config()?).await?;
            session.opening.engine = workspace.engine.clone();
        }
        Ok(session)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn tables(&self) -> &BTreeMap<String, TableLocation> {
        &self.tables
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The rows of one view version, with everything it depends on registered.
    pub async fn view_frame(&mut self, view: &ViewVersion) -> Result<DataFrame> {
        self.register_view_with_dependencies(view).await?;
        Ok(self
            .ctx
            .table(relation_name(&view.name, view.version))
            .await?)
    }

    /// The rows of a whole table.
    pub async fn table_frame(&mut self, table: &str) -> Result<DataFrame> {
        self.register_table(table).await?;
        Ok(self.ctx.table(table).await?)
    }

    /// Plans a read-only SQL statement over the tables and views it mentions.
    ///
    /// `origin` names where the SQL came from (a query file, or the command line) for errors.
    pub async fn sql_frame(&mut self, sql: &str, origin: &Path) -> Result<DataFrame> {
        for relation in sql_relations(sql, origin)? {
            self.register_relation(&relation.name, origin, relation.line)
                .await?;
        }
        self.ctx
            .sql_with_options(sql, read_only())
            .await
            .map_err(|e| located(e, origin))
    }

    /// Runs a view once and keeps its rows in memory (under `name_vN`, and `name` when it is the
    /// latest version), so statements that read it several times do not compute it again.
    /// Views that depend on it and are registered later read the kept rows too.
    pub async fn materialize_view(&mut self, relation: &str) -> Result<()> {
        let Some(view) = self.catalog.view_for_relation(relation).cloned() else {
            return Err(Error::UnknownName {
                kind: "view",
                name: relation.to_string(),
                closest: closest_names(
                    relation,
                    self.catalog.relation_names().iter().map(String::as_str),
                ),
            });
        };
        if self.opening.engine.is_distributed() {
            // Kept rows (a MemTable) cannot travel in a plan to executors: the cluster computes
            // the view each time it is read.
            return self.register_view_with_dependencies(&view).await;
        }
        let frame = self.view_frame(&view).await?;
        let planned = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        // The batches' own schema: the plan's can differ in nullability (a view over plain
        // Parquet files, whose columns are all nullable), and MemTable insists they match.
        let schema = batches.first().map_or(planned, |b| b.schema());
        let rows = Arc::new(MemTable::try_new(schema, vec![batches])?);
        let mut names = vec![relation_name(&view.name, view.version)];
        if self.catalog.view(&view.name, None)?.version == view.version {
            names.push(view.name.clone());
        }
        for name in names {
            self.ctx.deregister_table(name.as_str())?;
            self.ctx.register_table(name.as_str(), rows.clone())?;
            self.registered.insert(name);
        }
        Ok(())
    }

    /// Makes a Parquet file queryable as `name` with exactly `schema`'s column types (import's
    /// staged `incoming` rows).
    pub async fn register_parquet(
        &mut self,
        name: &str,
        path: &Path,
        schema: &Schema,
    ) -> Result<()> {
        let location = path.to_str().ok_or_else(|| {
            Error::Output(format!(
                "the staging file {} has a name that is not UTF-8; set TMPDIR to a plain folder",
                path.display()
            ))
        })?;
        let options = ParquetReadOptions::default().schema(schema);
        self.ctx.register_parquet(name, location, options).await?;
        self.registered.insert(name.to_string());
        Ok(())
    }

    /// Makes `name` queryable as an empty table with `schema`'s columns (a table's own import
    /// rules read what is stored: before its first import, nothing).
    pub fn register_empty(&mut self, name: &str, schema: SchemaRef) -> Result<()> {
        self.ctx
            .register_table(name, Arc::new(EmptyTable::new(schema)))?;
        self.registered.insert(name.to_string());
        Ok(())
    }

    /// Registers every table and every view version (each as `name_vN`, the latest also as
    /// `name`), for a server whose clients list and query them all. A view that cannot be
    /// registered (its table is missing, its SQL is broken) is left out and returned with the
    /// reason; the others are registered.
    pub async fn register_everything(&mut self) -> Result<Vec<Error>> {
        let tables: Vec<String> = self.tables.keys().cloned().collect();
        self.register_tables_in_parallel(&tables).await?;
        let mut left_out = Vec::new();
        let versions: Vec<ViewVersion> = self.catalog.all_versions().cloned().collect();
        for view in &versions {
            if let Err(e) = self.register_view_with_dependencies(view).await {
                left_out.push(e);
            }
        }
        Ok(left_out)
    }

    /// The tables `view` needs that this data folder lacks, when each of them is defined in
    /// `sql/tables/` (so the view is only unavailable here, as `ledger_from_detail` is without
    /// detail records); `None` when any missing name is defined nowhere, which is a mistake in
    /// the view.
    pub fn tables_missing_here(&self, view: &ViewVersion) -> Option<Vec<String>> {
        let (_, table_uses) = self.catalog.dependency_order(&[view]).ok()?;
        let mut missing: Vec<String> = table_uses
            .into_iter()
            .map(|t| t.table)
            .filter(|t| !self.tables.contains_key(t) && !TableDef::is_optional(&self.sql_dir, t))
            .filter(|t| self.catalog.stand_in_for(t).is_none())
            .collect();
        missing.sort();
        missing.dedup();
        let defined = |t: &String| {
            self.sql_dir
                .join("tables")
                .join(format!("{t}.sql"))
                .is_file()
        };
        (!missing.is_empty() && missing.iter().all(defined)).then_some(missing)
    }

    /// Whether `name` is a view, a table of the data folder, or registered rows.
    pub fn has_relation(&self, name: &str) -> bool {
        self.registered.contains(name)
            || self.tables.contains_key(name)
            || self.catalog.view_for_relation(name).is_some()
    }

    async fn register_relation(&mut self, name: &str, origin: &Path, line: usize) -> Result<()> {
        if self.registered.contains(name) {
            return Ok(());
        }
        if let Some(view) = self.catalog.view_for_relation(name).cloned() {
            return self.register_view_with_dependencies(&view).await;
        }
        if self.register_table_if_known(name).await? {
            return Ok(());
        }
        let mut candidates = self.catalog.relation_names();
        candidates.extend(self.tables.keys().cloned());
        Err(Error::SqlFile {
            file: origin.to_path_buf(),
            line,
            message: Error::UnknownName {
                kind: "table or view",
                name: name.to_string(),
                closest: closest_names(name, candidates.iter().map(String::as_str)),
            }
            .to_string(),
        })
    }

    async fn register_view_with_dependencies(&mut self, view: &ViewVersion) -> Result<()> {
        let unavailable = |reason: String| Error::ViewUnavailable {
            name: format!("{}@v{}", view.name, view.version),
            reason,
        };
        let (order, table_uses) = self
            .catalog
            .dependency_order(&[view])
            .map_err(|e| unavailable(e.to_string()))?;
        let order: Vec<ViewVersion> = order.into_iter().cloned().collect();
        let stored: Vec<String> = table_uses
            .iter()
            .map(|t| t.table.clone())
            .filter(|t| self.tables.contains_key(t))
            .collect();
        self.register_tables_in_parallel(&stored).await?;
        for table_use in &table_uses {
            if !self.register_table_if_known(&table_use.table).await? {
                return Err(unavailable(self.missing_table_reason(table_use)));
            }
        }
        for dependency in &order {
            self.register_view(dependency).await?;
        }
        Ok(())
    }

    fn missing_table_reason(&self, table_use: &TableUse) -> String {
        let closest = closest_names(&table_use.table, self.tables.keys().map(String::as_str));
        let hint = match closest.first() {
            Some(name) => format!(" (did you mean `{name}`?)"),
            None => format!(
                "; import it with `fundq import FILE --table {}`",
                table_use.table
            ),
        };
        format!(
            "it reads `{}` ({}:{}), which is neither a view nor a table in the data folder `{}`{hint}",
            table_use.table,
            table_use.file.display(),
            table_use.line,
            self.data_dir.display(),
        )
    }

    /// Registers a table of the data folder or, for an optional table (see
    /// [`crate::tabledef::OPTIONAL_MARK`]) that was never imported, an empty table with the
    /// defined columns. False when the name is neither.
    async fn register_table_if_known(&mut self, name: &str) -> Result<bool> {
        if self.tables.contains_key(name) {
            self.register_table(name).await?;
            return Ok(true);
        }
        if self.registered.contains(name) {
            return Ok(true);
        }
        if let Some(view) = self.catalog.stand_in_for(name).cloned() {
            // Marked first, so a stand-in that reads its own table fails to plan instead of
            // recursing.
            self.registered.insert(name.to_string());
            Box::pin(self.register_view_with_dependencies(&view)).await?;
            let rows = self
                .ctx
                .table_provider(relation_name(&view.name, view.version))
                .await?;
            self.ctx.register_table(name, rows)?;
            return Ok(true);
        }
        if !TableDef::is_optional(&self.sql_dir, name) {
            return Ok(false);
        }
        let definition = TableDef::load(&self.sql_dir, name).await?;
        let empty = Arc::new(EmptyTable::new(definition.schema.clone()));
        self.ctx.register_table(name, empty)?;
        self.registered.insert(name.to_string());
        Ok(true)
    }

    /// Opens several stored tables at once, each on its own task: reading a Delta log is most
    /// of a cold run's cost, and a view usually reads three or more tables.
    async fn register_tables_in_parallel(&mut self, names: &[String]) -> Result<()> {
        let mut tasks = tokio::task::JoinSet::new();
        for name in names {
            if self.registered.contains(name) {
                continue;
            }
            let location = self.tables[name].clone();
            let state = self.ctx.state();
            let opening = self.opening.clone();
            tasks.spawn(async move {
                let provider = open_for_reading(&opening, &location, &state).await;
                (location.name, provider)
            });
        }
        while let Some(opened) = tasks.join_next().await {
            let (name, provider) =
                opened.map_err(|e| Error::Query(DataFusionError::External(Box::new(e))))?;
            self.ctx.register_table(name.as_str(), provider?)?;
            self.registered.insert(name);
        }
        Ok(())
    }

    async fn register_table(&mut self, name: &str) -> Result<()> {
        if !self.registered.insert(name.to_string()) {
            return Ok(());
        }
        let location = &self.tables[name];
        let provider = open_for_reading(&self.opening, location, &self.ctx.state()).await?;
        self.ctx.register_table(name, provider)?;
        Ok(())
    }

    async fn register_view(&mut self, view: &ViewVersion) -> Result<()> {
        let pinned = relation_name(&view.name, view.version);
        if self.registered.contains(&pinned) {
            return Ok(());
        }
        let plan = self
            .ctx
            .state()
            .create_logical_plan(&view.sql)
            .await
            .map_err(|e| located(e, &view.path))?;
        read_only().verify_plan(&plan).map_err(|e| Error::SqlFile {
            file: view.path.clone(),
            line: 1,
            message: format!("a view is a single SELECT: {}", Error::Query(e)),
        })?;
        let table = Arc::new(ViewTable::new(plan, Some(view.sql.clone())));
        self.ctx.register_table(pinned.as_str(), table.clone())?;
        self.registered.insert(pinned);
        let latest = self.catalog.view(&view.name, None)?.version;
        if latest == view.version {
            self.ctx.register_table(view.name.as_str(), table)?;
        }
        Ok(())
    }
}

/// How a session opens its stored tables.
#[derive(Clone)]
struct Opening {
    engine: Engine,
    as_of: Option<AsOf>,
    /// Tables up to this many bytes of Parquet are read into memory once.
    small_table_bytes: u64,
}

/// Opens a stored table. A small table read locally is read into memory once: a view like
/// budget_execution scans `item` and `ledger` five times each, and opening a Parquet file
/// again for every scan cost a cold run more than reading the rows once.
async fn open_for_reading(
    opening: &Opening,
    location: &TableLocation,
    state: &SessionState,
) -> Result<Arc<dyn TableProvider>> {
    let provider =
        engine::open_table(&opening.engine, location, opening.as_of.as_ref(), state).await?;
    if opening.engine.is_distributed() || !storage::is_small(location, opening.small_table_bytes) {
        return Ok(provider);
    }
    let plan = provider.scan(state, None, &[], None).await?;
    let rows = datafusion::physical_plan::collect(plan, state.task_ctx()).await?;
    Ok(Arc::new(MemTable::try_new(provider.schema(), vec![rows])?))
}

/// A runtime whose queries share `bytes` of memory and spill to disk beyond it.
///
/// The pool is DataFusion's `FairSpillPool`, not the greedy one `with_memory_limit` builds: with
/// the greedy pool, a sort's unspillable merge reservation fails once the spilling operators
/// have taken the whole pool (the person-level query over 100 M rows failed in 2 GiB); the fair
/// pool keeps a share for it. Failures name the five largest consumers.
pub fn bounded_runtime(bytes: usize) -> RuntimeEnvBuilder {
    const LARGEST_CONSUMERS_NAMED: NonZeroUsize = NonZeroUsize::new(5).unwrap();
    let pool = TrackConsumersPool::new(FairSpillPool::new(bytes), LARGEST_CONSUMERS_NAMED);
    RuntimeEnvBuilder::new().with_memory_pool(Arc::new(pool))
}

/// fundq's queries only read: no DDL, no DML, no `SET`/`COPY`-style statements.
pub(crate) fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// DataFusion's settings, starting from `DATAFUSION_*` environment variables as datafusion-cli
/// does (for example `DATAFUSION_EXECUTION_TARGET_PARTITIONS=4`), then fundq's own.
fn session_config() -> Result<SessionConfig> {
    let config = SessionConfig::from_env().map_err(|e| {
        Error::Usage(format!(
            "a DATAFUSION_* environment variable is invalid: {e}; unset it or fix its value"
        ))
    })?;
    let mut config = config.with_information_schema(true);
    // `100.0` in a view must be an exact decimal, never a float.
    config.options_mut().sql_parser.parse_float_as_decimal = true;
    // Spans let planning errors name the line of the view file they come from.
    config.options_mut().sql_parser.collect_spans = true;
    Ok(config)
}

/// Attaches the file and, when DataFusion knows it, the line to a planning error.
fn located(e: datafusion::error::DataFusionError, file: &Path) -> Error {
    let line = e
        .diagnostic()
        .and_then(|d| d.span)
        .map(|span| span.start.line as usize)
        .unwrap_or(1);
    Error::SqlFile {
        file: file.to_path_buf(),
        line,
        message: Error::Query(e).to_string(),
    }
}
