//! The view lock file `sql/views.lock`: which view versions are published, with the SHA-256 of
//! each file, so a published version can never change silently.
//!
//! It is a CSV file (`view,version,sha256`), one line per locked version, sorted. `fundq views
//! --lock` adds the versions not yet locked (and refuses while a locked file has changed);
//! `fundq check` reports every locked version whose file changed or disappeared. This module
//! only compares files and hashes; it never runs SQL.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::output::write_file_atomically;

/// The lock file of a SQL folder.
pub fn lock_path(sql_dir: &Path) -> PathBuf {
    sql_dir.join("views.lock")
}

/// A view version compared with the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// Locked, and the file is unchanged.
    Locked,
    /// Not in the lock file yet.
    Unlocked,
    /// Locked with another hash: the published file was edited.
    Changed { locked: String, now: String },
    /// Locked, but the file no longer exists.
    Missing,
}

/// One line of the comparison: a view version, its file and its state.
#[derive(Debug, Clone)]
pub struct LockEntry {
    pub view: String,
    pub version: u32,
    pub path: PathBuf,
    pub state: LockState,
    /// SHA-256 of the file as it is now; empty when it is missing.
    pub sha256: String,
}

/// Locked hashes by (view, version); empty when there is no lock file yet.
fn read_lock(sql_dir: &Path) -> Result<BTreeMap<(String, u32), String>> {
    let path = lock_path(sql_dir);
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let mut reader = csv::Reader::from_path(&path).map_err(|e| lock_error(&path, 1, e))?;
    let mut locked = BTreeMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| lock_error(&path, line, e))?;
        let (Some(view), Some(version), Some(hash)) = (record.get(0), record.get(1), record.get(2))
        else {
            return Err(lock_error(&path, line, "expected view,version,sha256"));
        };
        let version: u32 = version
            .trim_start_matches('v')
            .parse()
            .map_err(|_| lock_error(&path, line, format!("`{version}` is not a version")))?;
        locked.insert((view.to_string(), version), hash.to_string());
    }
    Ok(locked)
}

fn lock_error(path: &Path, line: usize, message: impl std::fmt::Display) -> Error {
    Error::SqlFile {
        file: path.to_path_buf(),
        line,
        message: format!("{message}; the lock file is CSV with the header view,version,sha256"),
    }
}

/// Compares every view version of the catalog (and every locked one) with the lock file.
pub fn compare(catalog: &Catalog) -> Result<Vec<LockEntry>> {
    let mut locked = read_lock(&catalog.sql_dir)?;
    let mut entries = Vec::new();
    for version in catalog.all_versions() {
        let now = file_sha256(&version.path)?;
        let state = match locked.remove(&(version.name.clone(), version.version)) {
            None => LockState::Unlocked,
            Some(hash) if hash == now => LockState::Locked,
            Some(hash) => LockState::Changed {
                locked: hash,
                now: now.clone(),
            },
        };
        entries.push(LockEntry {
            view: version.name.clone(),
            version: version.version,
            path: version.path.clone(),
            state,
            sha256: now,
        });
    }
    for ((view, version), _) in locked {
        entries.push(LockEntry {
            path: catalog
                .sql_dir
                .join("views")
                .join(&view)
                .join(format!("v{version}.sql")),
            view,
            version,
            state: LockState::Missing,
            sha256: String::new(),
        });
    }
    Ok(entries)
}

/// `fundq views --lock`: records every unlocked version. Refuses, writing nothing, while a
/// locked version changed or is missing. Returns the versions it locked.
pub fn lock_new_versions(catalog: &Catalog) -> Result<Vec<LockEntry>> {
    let entries = compare(catalog)?;
    let broken: Vec<String> = entries
        .iter()
        .filter(|e| matches!(e.state, LockState::Changed { .. } | LockState::Missing))
        .map(describe_broken)
        .collect();
    if !broken.is_empty() {
        return Err(Error::Findings(format!(
            "not locking: published view versions changed, restore them first:\n{}",
            broken.join("\n")
        )));
    }
    let newly: Vec<LockEntry> = entries
        .iter()
        .filter(|e| e.state == LockState::Unlocked)
        .cloned()
        .collect();
    if newly.is_empty() {
        return Ok(newly);
    }
    let mut rows: Vec<(&str, u32, &str)> = entries
        .iter()
        .map(|e| (e.view.as_str(), e.version, e.sha256.as_str()))
        .collect();
    rows.sort();
    let path = lock_path(&catalog.sql_dir);
    write_file_atomically(&path, |file| {
        let mut text = String::from("view,version,sha256\n");
        for (view, version, hash) in &rows {
            text.push_str(&format!("{view},v{version},{hash}\n"));
        }
        file.write_all(text.as_bytes())
            .map_err(|e| Error::io(&path, e))
    })?;
    Ok(newly)
}

/// One line saying what is wrong with a changed or missing locked version and how to fix it.
pub fn describe_broken(entry: &LockEntry) -> String {
    match &entry.state {
        LockState::Changed { locked, now } => format!(
            "{}: `{}@v{}` is published (locked with SHA-256 {}…) but the file changed (now {}…); \
             restore it (for example `git checkout {}`) and put the change in a new version file",
            entry.path.display(),
            entry.view,
            entry.version,
            &locked[..locked.len().min(12)],
            &now[..now.len().min(12)],
            entry.path.display(),
        ),
        LockState::Missing => format!(
            "{}: `{}@v{}` is published (in views.lock) but the file is missing; restore it",
            entry.path.display(),
            entry.view,
            entry.version
        ),
        LockState::Locked | LockState::Unlocked => String::new(),
    }
}

fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
