//! Runs the `.slt` files in `tests/slt/` against fundq's own session over the sample data, and
//! those in a sub-folder `tests/slt/<fixture>/` against the data folder `tests/fixtures/<fixture>/`
//! (for instance `region_tree`: one province, two cities, five counties).
//!
//! Each file reads like the SQL it tests; expected values there are computed by hand from the
//! source CSVs in `data/` or beside the fixture (the computation is shown in a comment above each
//! query).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use fundq::session::Session;
use fundq::workspace::Workspace;
use sqllogictest::{DBOutput, DefaultColumnType};

struct FundqDb {
    session: Session,
}

#[derive(Debug)]
struct TestError(String);

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestError {}

#[async_trait]
impl sqllogictest::AsyncDB for FundqDb {
    type Error = TestError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, TestError> {
        let frame = self
            .session
            .sql_frame(sql, Path::new("<slt>"))
            .await
            .map_err(|e| TestError(e.to_string()))?;
        let columns = frame.schema().fields().len();
        let batches = frame
            .collect()
            .await
            .map_err(|e| TestError(e.to_string()))?;
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters: Vec<_> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
                .collect();
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| f.value(row).to_string())
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; columns],
            rows,
        })
    }

    async fn shutdown(&mut self) {}
}

fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.slt` files directly in `dir`, sorted.
fn slt_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the slt folder exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    files
}

/// Every slt file with the data folder it runs against: `tests/slt/*.slt` on `data/`,
/// `tests/slt/<fixture>/*.slt` on `tests/fixtures/<fixture>/`.
fn files_and_data() -> Vec<(PathBuf, PathBuf)> {
    let root = project_dir();
    let slt = root.join("tests/slt");
    let mut runs: Vec<(PathBuf, PathBuf)> = slt_files(&slt)
        .into_iter()
        .map(|f| (f, root.join("data")))
        .collect();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&slt)
        .expect("tests/slt exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    for folder in fixtures {
        let data = root
            .join("tests/fixtures")
            .join(folder.file_name().unwrap());
        assert!(
            data.is_dir(),
            "{} has no fixture {}",
            folder.display(),
            data.display()
        );
        runs.extend(slt_files(&folder).into_iter().map(|f| (f, data.clone())));
    }
    runs
}

/// Every file runs, and the failures are listed together at the end (one test, so that the
/// files share the test binary; each file's result is printed as it finishes).
#[tokio::test(flavor = "multi_thread")]
async fn every_slt_file_gives_its_expected_rows() {
    let runs = files_and_data();
    let mut failures = Vec::new();
    for (file, data) in &runs {
        let mut runner = sqllogictest::Runner::new(|| async {
            let workspace = Workspace::new(data.clone(), project_dir().join("sql"), None)
                .map_err(|e| TestError(e.to_string()))?;
            let session = Session::open(&workspace).map_err(|e| TestError(e.to_string()))?;
            Ok(FundqDb { session })
        });
        match runner.run_file_async(file).await {
            Ok(()) => println!("ok   {}", file.display()),
            Err(e) => failures.push(format!("FAIL {}\n{e}", file.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} slt files failed:\n{}",
        failures.len(),
        runs.len(),
        failures.join("\n")
    );
}
