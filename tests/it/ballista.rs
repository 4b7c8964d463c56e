//! The Ballista engine (`--features ballista`): every view, run on a Ballista cluster, must give
//! the rows the local engine gives. The local engine is the independent peer here: it reads the
//! Delta tables through the Delta provider, the cluster through listing tables over the
//! snapshot's files, planned by Ballista's scheduler and run by its executors.
#![cfg(feature = "ballista")]

use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use fundq::engine::Engine;
use fundq::session::Session;
use fundq::storage::AsOf;
use fundq::workspace::Workspace;

use crate::common::{Project, fundq, ok, root};

/// The outcome of one view on one engine: its column names and types and its rows, sorted (a
/// view promises no order), or why it could not run.
type Outcome = Result<(Vec<String>, Vec<String>), String>;

/// Runs `test` on a runtime whose threads have room for serialising deep plans (the binary
/// does the same), and off the test's own thread.
fn on_runtime<F: std::future::Future<Output = ()> + Send + 'static>(test: F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(32 * 1024 * 1024)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(runtime.spawn(test)).unwrap();
}

fn workspace(data: &Path, as_of: Option<AsOf>, engine: Engine) -> Workspace {
    let mut workspace = Workspace::new(data.to_path_buf(), root().join("sql"), as_of).unwrap();
    workspace.engine = engine;
    workspace
}

fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let columns: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let values: Vec<String> = columns.iter().map(|c| c.value(row).to_string()).collect();
            rows.push(values.join(" | "));
        }
    }
    rows.sort();
    rows
}

/// The versions of the views named in `only` (every view when empty), run on `workspace`'s
/// engine, by `name@vN`.
async fn run_views(workspace: &Workspace, only: &[&str]) -> Vec<(String, Outcome)> {
    let mut session = Session::connect(workspace).await.unwrap();
    let versions: Vec<_> = session
        .catalog()
        .all_versions()
        .filter(|v| only.is_empty() || only.contains(&v.name.as_str()))
        .cloned()
        .collect();
    let mut outcomes = Vec::new();
    for view in versions {
        let outcome = match session.view_frame(&view).await {
            Ok(frame) => {
                let columns = frame
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| format!("{} {}", f.name(), f.data_type()))
                    .collect();
                match frame.collect().await {
                    Ok(batches) => Ok((columns, rows(&batches))),
                    Err(e) => Err(format!("running: {e}")),
                }
            }
            Err(e) => Err(format!("planning: {e}")),
        };
        outcomes.push((format!("{}@v{}", view.name, view.version), outcome));
    }
    outcomes
}

/// Runs every view locally and on `engine` and asserts the same columns and rows, or the same
/// refusal; returns how many views gave rows, so callers can require the ones they expect.
async fn assert_engine_matches_local(
    data: &Path,
    as_of: Option<AsOf>,
    engine: Engine,
    only: &[&str],
) -> usize {
    let local = run_views(&workspace(data, as_of.clone(), Engine::Local), only).await;
    let cluster = run_views(&workspace(data, as_of, engine.clone()), only).await;
    assert_eq!(local.len(), cluster.len());
    let mut with_rows = 0;
    for ((name, expected), (_, actual)) in local.iter().zip(&cluster) {
        match (expected, actual) {
            (Ok((columns, rows)), Ok((cluster_columns, cluster_rows))) => {
                assert_eq!(
                    columns, cluster_columns,
                    "{name}: columns differ on {engine}"
                );
                assert_eq!(rows, cluster_rows, "{name}: rows differ on {engine}");
                with_rows += usize::from(!rows.is_empty());
            }
            (Err(_), Err(_)) => {}
            (expected, actual) => {
                panic!("{name}: local gave {expected:?}, {engine} gave {actual:?}")
            }
        }
    }
    with_rows
}

/// How many version files `sql/views/` holds for the views named in `only` (every view when
/// empty), counted from the folder: each version is run, so each one that gives rows counts.
fn view_versions(only: &[&str]) -> usize {
    let views = std::fs::read_dir(root().join("sql/views")).unwrap();
    views
        .map(|view| view.unwrap().path())
        .filter(|view| only.is_empty() || only.iter().any(|name| view.ends_with(name)))
        .map(|view| {
            std::fs::read_dir(view)
                .unwrap()
                .filter(|file| file.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
                .count()
        })
        .sum()
}

#[test]
fn every_view_on_the_sample_equals_the_local_engine() {
    on_runtime(async {
        let data = root().join("data");
        let with_rows =
            assert_engine_matches_local(&data, None, Engine::BallistaStandalone, &[]).await;
        // Every version of every view has rows but ledger_from_detail (no detail records in the
        // sample), fund_warning (no fund of the sample is in a warning band) and
        // rollup_consistency (no city of the sample states figures of its own).
        assert_eq!(with_rows, view_versions(&[]) - 3);
    });
}

#[test]
fn every_view_on_generated_data_equals_the_local_engine() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("generated");
    let out = data.to_str().unwrap().to_string();
    let args = [
        "gen",
        "--persons",
        "2000",
        "--regions",
        "4",
        "--years",
        "2021..2022",
        "--out",
        &out,
    ];
    ok(crate::common::sample(&args));
    on_runtime(async move {
        let engine = Engine::BallistaStandalone;
        // The standard views and the ledger's stand-in under them, plus one roll-up over the
        // generated region tree. Every view runs on the cluster on the sample (above); on
        // generated data all of them together took over 20 minutes in a debug build.
        let views = [
            "ledger_from_detail",
            "item_amount",
            "budget_execution",
            "yoy_growth",
            "fund_balance",
            "per_capita",
            "headcount_growth",
            "headcount_share",
            "variance_flag",
            "report_figure",
            "fund_balance_rollup",
        ];
        let with_rows = assert_engine_matches_local(&data, None, engine, &views).await;
        assert!(with_rows >= 10, "only {with_rows} views gave rows");
    });
}

/// `--as-of` picks the snapshot whose files the cluster reads: after a replace (which removes
/// the old file from the table), version 0 and the latest version must each equal the local
/// engine's, and differ from each other.
#[test]
fn as_of_selects_the_same_snapshot_on_the_cluster() {
    let project = Project::new();
    project.write(
        "corrections.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640121,2022,work_injury,interest,actual,9.99,万元\n",
    );
    let corrections = project.file("corrections.csv");
    let data = project.data();
    let import = [
        "import",
        corrections.as_str(),
        "--table",
        "ledger",
        "--mode",
        "replace",
    ];
    let (code, _, stderr) = project.run(&import);
    assert_eq!(code, 0, "{stderr}");
    on_runtime(async move {
        let engine = Engine::BallistaStandalone;
        let views = ["budget_execution", "fund_balance", "item_amount"];
        let versions = view_versions(&views);
        let at_0 = Some(AsOf::Version(0));
        assert_eq!(
            assert_engine_matches_local(&data, at_0, engine.clone(), &views).await,
            versions
        );
        assert_eq!(
            assert_engine_matches_local(&data, None, engine.clone(), &views).await,
            versions
        );
        let rows = |as_of: Option<AsOf>| {
            let cluster = workspace(&data, as_of, engine.clone());
            async move {
                let mut session = Session::connect(&cluster).await.unwrap();
                let frame = session.table_frame("ledger").await.unwrap();
                frame.count().await.unwrap()
            }
        };
        assert!(rows(Some(AsOf::Version(0))).await > rows(None).await);
    });
}

/// A scheduler and an executor started here on loopback, as a cluster would run them, and the
/// real binary sent to them with `--engine ballista://…`: `run` of a view and of a named query
/// and `sql` print the rows the local engine prints.
#[test]
fn the_binary_runs_on_a_remote_scheduler_over_loopback() {
    on_runtime(binary_on_remote_scheduler());
}

async fn binary_on_remote_scheduler() {
    let engine = start_loopback_cluster().await;
    let commands: Vec<Vec<String>> = vec![
        strings(&["run", "budget_execution", "--format", "csv"]),
        strings(&[
            "run",
            "fund_summary",
            "--param",
            "region=640121",
            "--param",
            "year=2022",
            "--format",
            "csv",
        ]),
        strings(&[
            "sql",
            "SELECT fund_code, year, balance_wan FROM fund_balance ORDER BY 1, 2",
            "--format",
            "json",
        ]),
    ];
    for args in commands {
        let local = binary(&["--engine", "local"], &args).await;
        let remote = binary(&["--engine", &engine], &args).await;
        assert_eq!(remote.0, 0, "{args:?} on {engine}: {}", remote.2);
        assert_eq!(
            sorted_lines(&remote.1),
            sorted_lines(&ok(local)),
            "{args:?}"
        );
    }
}

/// `fundq report` plans every table and chart query of the report through the cluster: the
/// Markdown report and its SVG charts must be byte for byte the ones the local engine writes.
#[test]
fn the_report_on_the_cluster_is_the_local_report() {
    let dir = tempfile::tempdir().unwrap();
    let written = |engine: &str| -> Vec<(String, Vec<u8>)> {
        let folder = dir.path().join(engine);
        std::fs::create_dir(&folder).unwrap();
        let report = folder.join("report.md");
        let args = [
            "--engine",
            engine,
            "report",
            "--region",
            "640121",
            "--year",
            "2022",
            "--format",
            "md",
            "--output",
            report.to_str().unwrap(),
        ];
        ok(crate::common::sample(&args));
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                (name, std::fs::read(entry.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let local = written("local");
    assert!(local.len() > 1, "the report and its charts: {local:?}");
    let cluster = written("ballista-standalone");
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&cluster), names(&local));
    for ((name, expected), (_, actual)) in local.iter().zip(&cluster) {
        assert!(expected == actual, "{name} differs between the engines");
    }
}

#[test]
fn an_unreachable_scheduler_is_named_with_what_to_check() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // free again once the listener is dropped here
    let engine = format!("ballista://127.0.0.1:{port}");
    let (code, _, stderr) =
        crate::common::sample(&["--engine", &engine, "run", "budget_execution"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(
        stderr.contains("check that a Ballista 55 scheduler runs there"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_malformed_engine_is_a_usage_error() {
    let (code, _, stderr) =
        crate::common::sample(&["--engine", "spark://x", "run", "budget_execution"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("ballista://HOST:PORT"), "{stderr}");
}

/// Starts a scheduler and one executor in this process on loopback ports; returns the engine
/// URL of the scheduler.
async fn start_loopback_cluster() -> String {
    use ballista_core::serde::BallistaCodec;
    use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;

    let address = ballista_scheduler::standalone::new_standalone_scheduler()
        .await
        .unwrap();
    assert!(address.ip().is_loopback(), "{address}");
    let endpoint = format!("http://{address}");
    let scheduler = loop {
        match SchedulerGrpcClient::connect(endpoint.clone()).await {
            Ok(client) => break client,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    ballista_executor::new_standalone_executor(scheduler, 2, BallistaCodec::default())
        .await
        .unwrap();
    format!("ballista://{address}")
}

/// Runs the binary on the sample, off the async runtime that serves the cluster.
async fn binary(global: &[&str], args: &[String]) -> (i32, String, String) {
    let mut all: Vec<String> = strings(global);
    all.extend(args.iter().cloned());
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        fundq(&root().join("data"), &root().join("sql"), &refs)
    })
    .await
    .unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines
}
