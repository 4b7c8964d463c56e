//! Ballista: running fundq's plans on an Apache DataFusion Ballista cluster (cargo feature
//! `ballista`).
//!
//! Ballista ships the client's logical plan to its scheduler with datafusion-proto, which knows
//! listing tables, views and empty tables but not the Delta Lake table provider. So on a cluster
//! a Delta table is resolved here, on the client, to the Parquet files of its snapshot (at
//! `--as-of` when given) and registered as a plain listing table over exactly those files; plain
//! Parquet folders already are listing tables. That is only faithful for tables whose files are
//! their contents: no deletion vectors, no column mapping, no partition columns (whose values
//! live in the log, not in the files). fundq writes such tables; any other is refused with the
//! reason. This module must not change what a view means: it only changes where it runs.

use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::catalog::TableProvider;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::{SessionConfig, SessionContext, SessionState};
use deltalake::DeltaTable;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::storage::{self, AsOf, TableFormat, TableLocation};

/// How long to wait for a remote scheduler to accept a connection before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader features under which a snapshot's Parquet files still hold exactly the table's rows.
/// `deletionVectors` and `columnMapping` are allowed as features and checked where used (a
/// deletion vector on a file, a column mapping mode other than `none`).
const READABLE_AS_PLAIN_PARQUET: &[&str] = &[
    "deletionVectors",
    "columnMapping",
    "timestampNtz",
    "v2Checkpoint",
    "vacuumProtocolCheck",
];

/// A context whose plans run on the Ballista `engine`, configured like a local session.
pub async fn context(engine: &Engine, config: SessionConfig) -> Result<SessionContext> {
    // Ballista's own DataFusion settings first. Among them: dynamic filter pushdown off (a filter
    // filled by a join's build side in one stage never reaches the scan that waits for it in
    // another, so the job never finishes) and sort-merge joins, which spill. Ballista applies them
    // only to a config that does not carry its extension yet, so this comes before any
    // `with_ballista_*` setting.
    //
    // Then its adaptive planner (AQE) off: in Ballista 55, when a stage turns out empty, AQE swaps
    // the empty branch for an empty source whose later tasks run as an `EmptyExec`, which
    // reports one operator's metrics fewer than the stage's first task. The scheduler refuses
    // those task updates ("task metrics array size 6 does not equal with the stage metrics
    // array size 7") and the stage never completes: after a replacing import,
    // budget_execution, fund_balance and per_capita hung. The static planner gives the local
    // engine's rows for every view.
    let config = config
        .upgrade_for_ballista()
        .with_ballista_adaptive_query_planner(false);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    match engine {
        Engine::Local => Ok(SessionContext::new_with_state(state)),
        Engine::BallistaStandalone => {
            SessionContext::standalone_with_state(state)
                .await
                .map_err(|e| Error::Cluster {
                    engine: engine.to_string(),
                    message: format!("cannot start the in-process scheduler and executor: {e}"),
                })
        }
        Engine::Ballista { .. } => {
            let scheduler = scheduler_endpoint(engine);
            check_reachable(engine, &scheduler).await?;
            let ballista_url = engine.to_string().replacen("ballista://", "df://", 1);
            SessionContext::remote_with_state(&ballista_url, state)
                .await
                .map_err(|e| Error::Cluster {
                    engine: engine.to_string(),
                    message: e.to_string(),
                })
        }
    }
}

/// The scheduler's gRPC address as Ballista's client expects it.
fn scheduler_endpoint(engine: &Engine) -> String {
    engine.to_string().replacen("ballista://", "http://", 1)
}

/// Fails early, with what to check, when nothing answers at the scheduler's address: otherwise
/// the first query would fail deep inside Ballista with a transport error.
async fn check_reachable(engine: &Engine, endpoint: &str) -> Result<()> {
    let unreachable = |why: String| Error::Cluster {
        engine: engine.to_string(),
        message: format!(
            "cannot reach the Ballista scheduler at {endpoint} ({why}); check that a Ballista 55 \
             scheduler runs there and that this machine can open that port, or run with \
             --engine local"
        ),
    };
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        SchedulerGrpcClient::connect(endpoint.to_string()),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(transport_reason(&e))),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// The innermost cause of a transport error ("Connection refused"), which is what a person
/// can act on; tonic's own message is just "transport error".
fn transport_reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Opens a table so that a serialised plan can carry it to executors: a listing table over the
/// Parquet files every executor reads at the same path.
pub async fn open_portable_table(
    location: &TableLocation,
    as_of: Option<&AsOf>,
    state: &SessionState,
) -> Result<Arc<dyn TableProvider>> {
    match location.format {
        TableFormat::Parquet => storage::open_table(location, as_of, state).await,
        TableFormat::Delta => open_delta_snapshot_files(location, as_of).await,
    }
}

/// The files of a Delta table's snapshot as a listing table with the Delta table's own schema,
/// so that views plan with exactly the types they have locally.
async fn open_delta_snapshot_files(
    location: &TableLocation,
    as_of: Option<&AsOf>,
) -> Result<Arc<dyn TableProvider>> {
    let table = storage::load_delta(location, as_of).await?;
    refuse_features_files_cannot_express(location, &table)?;
    let schema = table
        .table_provider()
        .await
        .map_err(|e| table_error(location, e))?
        .schema();
    let files = snapshot_file_urls(location, &table)?;
    if files.is_empty() {
        return Ok(Arc::new(EmptyTable::new(schema)));
    }
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()));
    let config = ListingTableConfig::new_with_multi_paths(files)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// One URL per data file of the loaded snapshot; refuses a file with a deletion vector, whose
/// deleted rows are still in its Parquet file.
fn snapshot_file_urls(
    location: &TableLocation,
    table: &DeltaTable,
) -> Result<Vec<ListingTableUrl>> {
    let snapshot = table.snapshot().map_err(|e| table_error(location, e))?;
    let log_store = table.log_store();
    let mut urls = Vec::new();
    for file in snapshot.log_data().iter() {
        if file.deletion_vector_descriptor().is_some() {
            return Err(cannot_distribute(
                location,
                &format!(
                    "its file {} has a deletion vector, so the file holds rows the table no \
                     longer has",
                    file.path()
                ),
            ));
        }
        let uri = log_store.to_uri(&file.object_store_path());
        urls.push(ListingTableUrl::parse(&uri)?);
    }
    Ok(urls)
}

/// Refuses tables whose Parquet files alone do not give their rows and columns.
fn refuse_features_files_cannot_express(
    location: &TableLocation,
    table: &DeltaTable,
) -> Result<()> {
    let snapshot = table.snapshot().map_err(|e| table_error(location, e))?;
    let protocol = serde_json::to_value(snapshot.protocol()).unwrap_or_default();
    let metadata = serde_json::to_value(snapshot.metadata()).unwrap_or_default();
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let partition_columns = strings(&metadata["partitionColumns"]);
    if !partition_columns.is_empty() {
        return Err(cannot_distribute(
            location,
            &format!(
                "it is partitioned by {}, whose values are in the Delta log, not in its files",
                partition_columns.join(", ")
            ),
        ));
    }
    let mapping = metadata["configuration"]["delta.columnMapping.mode"]
        .as_str()
        .unwrap_or("none");
    if mapping != "none" {
        return Err(cannot_distribute(
            location,
            &format!(
                "it uses column mapping (mode `{mapping}`): its files name columns differently"
            ),
        ));
    }
    let unknown: Vec<String> = strings(&protocol["readerFeatures"])
        .into_iter()
        .filter(|feature| !READABLE_AS_PLAIN_PARQUET.contains(&feature.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(cannot_distribute(
            location,
            &format!("it uses the Delta reader feature(s) {}", unknown.join(", ")),
        ));
    }
    Ok(())
}

fn cannot_distribute(location: &TableLocation, why: &str) -> Error {
    table_error(
        location,
        format!(
            "cannot be read on a Ballista cluster: {why}; run with --engine local, or rewrite the \
             table without that feature"
        ),
    )
}

fn table_error(location: &TableLocation, e: impl std::fmt::Display) -> Error {
    Error::Table {
        table: location.name.clone(),
        path: location.path.clone(),
        message: e.to_string(),
    }
}
