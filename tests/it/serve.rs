//! `fundq serve` with real clients, started by the test on loopback ports: psql (on the
//! machine), Python psycopg 3 and SQLAlchemy, and ADBC's Flight SQL driver. The Python clients
//! run from the interpreter in `FUNDQ_PYTHON` (CI's virtual environment; see `.ci/run`); when it
//! is not set and `python3` lacks them, those tests say so and pass, unless
//! `FUNDQ_REQUIRE_CLIENTS=1` (set by CI) makes that a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Project, ok, root, sample};
use assert_cmd::cargo::CommandCargoExt;

/// A running `fundq serve`, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    pg: String,
    flight: String,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    fn start(data: &Path, sql: &Path, config: Option<&Path>, env: &[(&str, &str)]) -> Server {
        Server::start_with(data, sql, config, env, &[])
    }

    /// Like [`Server::start`], with more arguments for `fundq serve`.
    fn start_with(
        data: &Path,
        sql: &Path,
        config: Option<&Path>,
        env: &[(&str, &str)],
        serve_args: &[&str],
    ) -> Server {
        let mut command = Command::cargo_bin("fundq").unwrap();
        command
            .arg("--data")
            .arg(data)
            .arg("--sql")
            .arg(sql)
            .args(["serve", "--pg", "127.0.0.1:0", "--flight", "127.0.0.1:0"])
            .args(serve_args)
            .env_remove("FUNDQ_PG_USER")
            .env_remove("FUNDQ_PG_PASSWORD")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let mut child = command.spawn().unwrap();
        let (send, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut pg, mut flight) = (String::new(), String::new());
        let started = Instant::now();
        loop {
            let line = stderr
                .recv_timeout(Duration::from_secs(120).saturating_sub(started.elapsed()))
                .unwrap_or_else(|_| panic!("fundq serve did not start; pg={pg} flight={flight}"));
            if let Some(address) = line.strip_prefix("fundq serve: postgres ") {
                pg = address.to_string();
            } else if let Some(address) = line.strip_prefix("fundq serve: flight-sql ") {
                flight = address.to_string();
            } else if line == "fundq serve: ready" {
                break;
            }
        }
        Server {
            child,
            pg,
            flight,
            stderr,
        }
    }

    fn sample() -> Server {
        Server::start(&root().join("data"), &root().join("sql"), None, &[])
    }

    fn pg_port(&self) -> &str {
        self.pg.rsplit(':').next().unwrap()
    }

    /// psql with `args` then `-c statement`; returns (exit code, stdout, stderr).
    fn psql(&self, user: &str, password: &str, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                self.pg_port(),
                "-U",
                user,
                "-d",
                "datafusion",
            ])
            .args(["-X", "-v", "ON_ERROR_STOP=1"])
            .args(args)
            .env("PGPASSWORD", password)
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .expect("psql is on the machine");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn stop(mut self) -> i32 {
        terminate(&self.child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "fundq serve did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr_so_far(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The Python interpreter that has the client libraries, or `None` (with the reason printed)
/// when this machine lacks them and CI does not require them.
fn python_with_clients() -> Option<PathBuf> {
    let python = std::env::var_os("FUNDQ_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let has_clients = Command::new(&python)
        .args([
            "-c",
            "import psycopg, sqlalchemy, adbc_driver_flightsql, pyarrow",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_clients {
        return Some(python);
    }
    let message = format!(
        "{} lacks psycopg, sqlalchemy or adbc_driver_flightsql; .ci/run installs them into a \
         virtual environment and sets FUNDQ_PYTHON",
        python.display()
    );
    assert!(std::env::var("FUNDQ_REQUIRE_CLIENTS").is_err(), "{message}");
    eprintln!("skipped: {message}");
    None
}

fn run_script(python: &Path, script: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(python)
        .arg(root().join("tests/clients").join(script))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// CSV rows, header first, with psql's booleans spelled as Arrow's CSV writer spells them.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|field| match field {
                    "t" => "true".to_string(),
                    "f" => "false".to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn psql_lists_describes_and_selects_what_fundq_run_prints() {
    let server = Server::sample();
    let (code, tables, stderr) = server.psql("fundq", "", &["-c", "\\dt"]);
    assert_eq!(code, 0, "{stderr}");
    for table in ["ledger", "headcount", "fund", "item", "region"] {
        assert!(tables.contains(table), "\\dt lacks {table}:\n{tables}");
    }

    let (code, described, stderr) = server.psql("fundq", "", &["-c", "\\d budget_execution"]);
    assert_eq!(code, 0, "{stderr}");
    for column in [
        "region_code",
        "fund_name",
        "budget_wan",
        "execution_rate",
        "deviation_wan",
    ] {
        assert!(
            described.contains(column),
            "\\d lacks {column}:\n{described}"
        );
    }
    assert!(
        described.contains("numeric"),
        "decimals are NUMERIC:\n{described}"
    );

    let order = "ORDER BY region_code, year, fund_code, direction, item_code";
    let (code, served, stderr) = server.psql(
        "fundq",
        "",
        &[
            "--csv",
            "-c",
            &format!("SELECT * FROM budget_execution {order}"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let printed = ok(sample(&[
        "sql",
        &format!("SELECT * FROM budget_execution {order}"),
        "--format",
        "csv",
    ]));
    let (served, printed) = (csv_rows(&served), csv_rows(&printed));
    assert!(served.len() > 50, "{} rows", served.len());
    assert_eq!(served, printed);
    assert_eq!(server.stop(), 0, "SIGTERM is a clean stop");
}

#[test]
fn writes_and_file_access_are_refused_and_change_nothing() {
    let project = Project::new();
    let server = Server::start(&project.data(), &project.sql(), None, &[]);
    for statement in [
        "DROP TABLE ledger",
        "DELETE FROM ledger",
        "INSERT INTO fund VALUES ('x', 'x', 'x', 1)",
        "CREATE TABLE copy AS SELECT * FROM ledger",
        "CREATE EXTERNAL TABLE secrets STORED AS CSV LOCATION '/etc/passwd'",
        "COPY ledger TO '/tmp/fundq-ledger.csv'",
        "COPY ledger FROM '/etc/passwd'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let (code, _, stderr) = server.psql("fundq", "", &["-c", statement]);
        assert_ne!(code, 0, "{statement} ran");
        assert!(
            stderr.contains("read-only") || stderr.contains("shared by every client"),
            "{statement}: {stderr}"
        );
    }
    let (code, count, stderr) =
        server.psql("fundq", "", &["-At", "-c", "SELECT count(*) FROM ledger"]);
    assert_eq!(code, 0, "{stderr}");
    let rows_in_source = std::fs::read_to_string(root().join("data/ledger.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(count.trim(), rows_in_source.to_string());
    assert!(!Path::new("/tmp/fundq-ledger.csv").exists());
}

#[test]
fn passwords_are_required_and_checked() {
    let env = [
        ("FUNDQ_PG_USER", "analyst"),
        ("FUNDQ_PG_PASSWORD", "s3cret-from-env"),
    ];
    let server = Server::start(&root().join("data"), &root().join("sql"), None, &env);
    let (code, _, stderr) = server.psql("analyst", "wrong", &["-c", "SELECT 1"]);
    assert_ne!(code, 0);
    assert!(stderr.to_lowercase().contains("password"), "{stderr}");
    let (code, _, stderr) = server.psql("nobody", "s3cret-from-env", &["-c", "SELECT 1"]);
    assert_ne!(code, 0, "an unknown user got in: {stderr}");
    let (code, out, stderr) = server.psql(
        "analyst",
        "s3cret-from-env",
        &["-At", "-c", "SELECT 40 + 2"],
    );
    assert_eq!((code, out.trim()), (0, "42"), "{stderr}");
}

#[test]
fn no_users_means_loopback_only() {
    let (code, _, stderr) = sample(&["serve", "--pg", "0.0.0.0:0", "--flight", "127.0.0.1:0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 without authentication"),
        "{stderr}"
    );
}

#[test]
fn a_config_file_with_passwords_must_be_private() {
    let project = Project::new();
    project.write(
        "fundq.toml",
        "[serve]\n[[serve.users]]\nname = \"analyst\"\npassword = \"pw\"\n",
    );
    let config = project.file("fundq.toml");
    set_mode(&config, 0o644);
    let (code, _, stderr) = project.run(&["serve", "--config", &config]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

fn set_mode(path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn server_with(project: &Project, settings: &str) -> Server {
    project.write("fundq.toml", &format!("[serve]\n{settings}\n"));
    let config = PathBuf::from(project.file("fundq.toml"));
    set_mode(&project.file("fundq.toml"), 0o600);
    Server::start(&project.data(), &project.sql(), Some(&config), &[])
}

#[test]
fn a_slow_query_stops_at_the_timeout_and_the_server_carries_on() {
    let project = Project::new();
    let server = server_with(&project, "query_timeout_secs = 2");
    let started = Instant::now();
    // 10^10 rows take minutes to count on any machine.
    let (code, _, stderr) = server.psql(
        "fundq",
        "",
        &["-c", "SELECT count(*) FROM generate_series(1, 10000000000)"],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("query timeout of 2 s"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let (code, out, stderr) = server.psql("fundq", "", &["-At", "-c", "SELECT 1"]);
    assert_eq!((code, out.trim()), (0, "1"), "{stderr}");
}

#[test]
fn a_query_over_the_memory_limit_fails_alone() {
    let project = Project::new();
    let server = server_with(&project, "memory_limit_mb = 20");
    // A hash join keeps its build side (5 M rows of 8 bytes, 40 MB) in memory and cannot spill.
    let (code, _, stderr) = server.psql(
        "fundq",
        "",
        &[
            "-c",
            "SELECT count(*) FROM generate_series(1, 5000000) a(x) \
             JOIN generate_series(1, 5000000) b(y) ON x = y",
        ],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("Resources exhausted"), "{stderr}");
    let (code, out, stderr) = server.psql("fundq", "", &["-At", "-c", "SELECT count(*) FROM fund"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.trim().parse::<u32>().unwrap() > 0);
}

#[test]
fn connections_beyond_the_limit_are_told_why() {
    let Some(python) = python_with_clients() else {
        return;
    };
    let project = Project::new();
    let server = server_with(&project, "max_connections = 2");
    let script = format!(
        "import psycopg\n\
         held = [psycopg.connect(host='127.0.0.1', port={port}, user='u', dbname='datafusion') for _ in range(2)]\n\
         try:\n    psycopg.connect(host='127.0.0.1', port={port}, user='u', dbname='datafusion')\n    print('third connected')\n\
         except psycopg.OperationalError as e:\n    print(e)\n\
         held[0].close()\n\
         import time\n\
         deadline = time.monotonic() + 10\n\
         while True:\n    try:\n        c = psycopg.connect(host='127.0.0.1', port={port}, user='u', dbname='datafusion')\n        break\n    except psycopg.OperationalError:\n        if time.monotonic() > deadline: raise\n        time.sleep(0.02)\n\
         with c:\n    print('after close:', c.execute('SELECT 1').fetchone()[0])\n",
        port = server.pg_port()
    );
    let out = Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("too many connections"), "{stdout}");
    assert!(stdout.contains("after close: 1"), "{stdout}");
}

#[test]
fn psycopg_and_sqlalchemy_read_views_with_exact_numerics() {
    let Some(python) = python_with_clients() else {
        return;
    };
    let env = [
        ("FUNDQ_PG_USER", "analyst"),
        ("FUNDQ_PG_PASSWORD", "pw-for-clients"),
    ];
    let server = Server::start(&root().join("data"), &root().join("sql"), None, &env);
    let (code, out, err) = run_script(
        &python,
        "pg_clients.py",
        &["127.0.0.1", server.pg_port(), "analyst", "pw-for-clients"],
    );
    assert_eq!(code, 0, "{out}{err}\nserver: {}", server.stderr_so_far());
    assert!(out.contains("sqlalchemy inspector: ok"), "{out}");
}

#[test]
fn adbc_flight_sql_lists_objects_and_fetches_arrow() {
    let Some(python) = python_with_clients() else {
        return;
    };
    let env = [
        ("FUNDQ_PG_USER", "analyst"),
        ("FUNDQ_PG_PASSWORD", "pw-for-flight"),
    ];
    let server = Server::start(&root().join("data"), &root().join("sql"), None, &env);
    let uri = format!("grpc://{}", server.flight);
    let (code, out, err) = run_script(
        &python,
        "flight_client.py",
        &[&uri, "analyst", "pw-for-flight"],
    );
    assert_eq!(code, 0, "{out}{err}\nserver: {}", server.stderr_so_far());
    assert!(out.contains("adbc refused DROP: ok"), "{out}");
    let (code, _, err) = run_script(&python, "flight_client.py", &[&uri, "analyst", "wrong"]);
    assert_ne!(code, 0, "a wrong password got in");
    assert!(err.to_lowercase().contains("unauthenticated"), "{err}");
}

#[test]
fn a_new_view_file_is_served_without_a_restart() {
    let project = Project::new();
    let server = Server::start(&project.data(), &project.sql(), None, &[]);
    let (code, _, _) = server.psql("fundq", "", &["-c", "SELECT * FROM fund_count"]);
    assert_ne!(code, 0, "fund_count should not exist yet");
    project.write(
        "sql/views/fund_count/v1.sql",
        "-- Number of funds.\nSELECT count(*) AS funds FROM fund\n",
    );
    let (code, out, stderr) =
        server.psql("fundq", "", &["-At", "-c", "SELECT funds FROM fund_count"]);
    assert_eq!(code, 0, "{stderr}");
    let funds_in_source = std::fs::read_to_string(root().join("data/funds.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(out.trim(), funds_in_source.to_string());
}

/// Answers the server keeps are never stale: after an import, a view edit and a new view
/// version the next statement (also one prepared before) sees the change, while a server
/// pinned with `--as-of 0` keeps answering version 0. Expected rows come from data/ledger.csv
/// (see tests/clients/cache_invalidation.py).
#[test]
fn kept_answers_follow_imports_and_view_edits_and_stay_pinned_with_as_of() {
    let Some(python) = python_with_clients() else {
        return;
    };
    let project = Project::new();
    project.write(
        "sql/views/cache_probe/v1.sql",
        "-- A probe of kept answers.\nSELECT 1 AS answer\n",
    );
    let live = Server::start(&project.data(), &project.sql(), None, &[]);
    let pinned = Server::start_with(
        &project.data(),
        &project.sql(),
        None,
        &[],
        &["--as-of", "0"],
    );
    let fundq = assert_cmd::cargo::cargo_bin("fundq");
    let (code, out, err) = run_script(
        &python,
        "cache_invalidation.py",
        &[
            "127.0.0.1",
            live.pg_port(),
            pinned.pg_port(),
            fundq.to_str().unwrap(),
            project.data().to_str().unwrap(),
            project.sql().to_str().unwrap(),
        ],
    );
    assert_eq!(
        code,
        0,
        "{out}\n{err}\nlive server: {}\npinned server: {}",
        live.stderr_so_far(),
        pinned.stderr_so_far()
    );
    assert!(out.contains("view edit and new version: ok"), "{out}");
}

/// DBeaver lists roles on connect; reading `pg_roles` used to overflow the server's stack and
/// abort it (datafusion-pg-catalog's provider for an `Arc` calls itself). The catalog's only
/// role is datafusion-postgres' default `postgres`.
#[test]
fn reading_pg_roles_answers_and_the_server_stays_up() {
    let server = Server::sample();
    let (code, out, err) = server.psql(
        "fundq",
        "",
        &[
            "-At",
            "-c",
            "SELECT rolname FROM pg_catalog.pg_roles ORDER BY 1",
        ],
    );
    assert_eq!(code, 0, "{err}\n{}", server.stderr_so_far());
    assert_eq!(out.trim(), "postgres");
    let (code, out, err) = server.psql("fundq", "", &["-At", "-c", "SELECT 1 + 1"]);
    assert_eq!((code, out.trim()), (0, "2"), "still answering: {err}");
}

/// `java` and pgjdbc's jar (Debian's libpostgresql-jdbc-java), or `None` (with the reason
/// printed) when this machine lacks them and CI does not require them.
fn java_with_pgjdbc() -> Option<(PathBuf, PathBuf)> {
    let java = PathBuf::from("java");
    let jar = PathBuf::from("/usr/share/java/postgresql.jar");
    let has_java = Command::new(&java)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if has_java && jar.is_file() {
        return Some((java, jar));
    }
    let message = format!(
        "java or {} is missing; .ci/run installs default-jdk-headless and libpostgresql-jdbc-java",
        jar.display()
    );
    assert!(std::env::var("FUNDQ_REQUIRE_CLIENTS").is_err(), "{message}");
    eprintln!("skipped: {message}");
    None
}

/// The Python interpreter with pyodbc, when psqlODBC is installed too; else `None` as
/// [`python_with_clients`] does.
fn python_with_psqlodbc() -> Option<PathBuf> {
    let python = python_with_clients()?;
    let has_pyodbc = Command::new(&python)
        .args(["-c", "import pyodbc"])
        .output()
        .is_ok_and(|o| o.status.success());
    let driver = Path::new("/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so");
    if has_pyodbc && driver.is_file() {
        return Some(python);
    }
    let message = format!(
        "{} lacks pyodbc, or {} is missing; .ci/run installs odbc-postgresql and pyodbc",
        python.display(),
        driver.display()
    );
    assert!(std::env::var("FUNDQ_REQUIRE_CLIENTS").is_err(), "{message}");
    eprintln!("skipped: {message}");
    None
}

/// pgjdbc, as DBeaver, Metabase and Tableau use it: DatabaseMetaData (catalogs, schemas,
/// tables with their descriptions, columns with precision and scale, the primary key from
/// sql/tables, no foreign keys, the key's index, functions, procedures, types), prepared
/// statements past the server-prepare threshold, setMaxRows and fetch size, each checked
/// against data/*.csv (tests/clients/JdbcClient.java).
#[test]
fn pgjdbc_browses_the_catalog_and_reads_exact_amounts() {
    let Some((java, jar)) = java_with_pgjdbc() else {
        return;
    };
    let mut program = Command::new(java);
    program
        .arg("-cp")
        .arg(jar)
        .arg("tests/clients/JdbcClient.java");
    assert_client_passes(&Server::sample(), program, "jdbc: all checks passed");
}

/// psqlODBC through pyodbc, as Excel, Power BI's ODBC path and Tableau use it: SQLTables,
/// SQLColumns, SQLPrimaryKeys, SQLForeignKeys, SQLStatistics, SQLGetTypeInfo, parameters,
/// Chinese text and DECIMAL money as exact decimals (tests/clients/odbc_client.py).
#[test]
fn psqlodbc_lists_keys_and_reads_exact_decimals() {
    let Some(python) = python_with_psqlodbc() else {
        return;
    };
    let mut program = Command::new(&python);
    program.arg("tests/clients/odbc_client.py");
    assert_client_passes(&Server::sample(), program, "odbc: all checks passed");
}

/// The catalog statements of Npgsql (Power BI), Grafana, pgAdmin, DBeaver, Metabase, pgcli and
/// psqlODBC replayed, SQLAlchemy's Inspector in full (Superset) and psql's `\d`, `\dt`, `\dv`,
/// `\d+ view`, `\l`, `\dn` run live (tests/clients/catalog_replay.py); the server is still up
/// after the last one.
#[test]
fn bi_tools_catalog_statements_run() {
    let Some(python) = python_with_clients() else {
        return;
    };
    let server = Server::sample();
    let mut program = Command::new(&python);
    program.arg("tests/clients/catalog_replay.py");
    assert_client_passes(&server, program, "calls ran as the client expects");
    let (code, out, err) = server.psql("fundq", "", &["-At", "-c", "SELECT 1 + 1"]);
    assert_eq!((code, out.trim()), (0, "2"), "still answering: {err}");
}

/// Runs a client program against `server` (its last two arguments are the host and port), from
/// the repository root: it must exit 0 and print `done`.
fn assert_client_passes(server: &Server, mut program: Command, done: &str) {
    let out = program
        .args(["127.0.0.1", server.pg_port()])
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}\nserver: {}",
        String::from_utf8_lossy(&out.stderr),
        server.stderr_so_far()
    );
    assert!(stdout.contains(done), "{stdout}");
}
