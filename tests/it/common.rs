//! Helpers shared by the integration tests: run the `fundq` binary on the sample or on a
//! temporary copy of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs fundq with `--data`/`--sql`; returns (exit code, stdout, stderr).
pub fn fundq(data: &Path, sql: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("fundq")
        .unwrap()
        .arg("--data")
        .arg(data)
        .arg("--sql")
        .arg(sql)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn sample(args: &[&str]) -> (i32, String, String) {
    fundq(&root().join("data"), &root().join("sql"), args)
}

pub fn ok(result: (i32, String, String)) -> String {
    assert_eq!(result.0, 0, "stderr: {}", result.2);
    result.1
}

/// A temporary copy of the sample's `data/` and `sql/`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("data"), &dir.path().join("data"));
        copy_dir(&root().join("sql"), &dir.path().join("sql"));
        Project { dir }
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn sql(&self) -> PathBuf {
        self.dir.path().join("sql")
    }
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        fundq(&self.data(), &self.sql(), args)
    }
    /// The absolute path of a file in the project, as a command-line argument.
    pub fn file(&self, relative: &str) -> String {
        self.dir
            .path()
            .join(relative)
            .to_string_lossy()
            .into_owned()
    }
    pub fn write(&self, relative: &str, text: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An empty data folder with a copy of the project's `sql/`, filled through `fundq import`.
pub struct DataFolder {
    pub dir: tempfile::TempDir,
}

impl DataFolder {
    pub fn new() -> DataFolder {
        let folder = DataFolder {
            dir: tempfile::tempdir().unwrap(),
        };
        copy_dir(&root().join("sql"), &folder.sql());
        std::fs::create_dir_all(folder.data()).unwrap();
        folder
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn sql(&self) -> PathBuf {
        self.dir.path().join("sql")
    }
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        fundq(&self.data(), &self.sql(), args)
    }
    pub fn import_file(&self, table: &str, file: &Path) -> (i32, String, String) {
        self.run(&["import", &file.to_string_lossy(), "--table", table])
    }
    /// Imports `csv` (the text of a file) into `table`.
    pub fn import_csv(&self, table: &str, csv: &str) -> (i32, String, String) {
        let file = self.dir.path().join(format!("{table}.csv"));
        std::fs::write(&file, csv).unwrap();
        self.import_file(table, &file)
    }
    /// The result of `query` as CSV; fails the test if fundq fails.
    pub fn csv(&self, query: &str) -> String {
        ok(self.run(&["sql", query, "--format", "csv"]))
    }
}
