//! Whether `sql/` or the data folder may have changed since the catalog was last compared with
//! them, answered with one system call per statement instead of a fingerprint of every file.
//!
//! On Linux an inotify instance watches every folder the catalog's fingerprint reads: `sql/`
//! and its sub-folders, the data folder, each table's folder and its `_delta_log`. The kernel
//! queues an event within the very call that changes a file, so once an import or an editor
//! has finished writing, the next statement finds the event. From then on every statement takes
//! the slow path (a full fingerprint, see [`super::live`]) until one that was taken after the
//! event has been compared. Elsewhere, or when a folder cannot be watched (the system's limit of
//! inotify watches), every statement takes the slow path, as before.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::workspace::Workspace;

/// Change events seen, and the last count a full comparison was started after.
pub struct Changes {
    watcher: Option<Watcher>,
    /// How many times events were found.
    seen: AtomicU64,
    /// `seen` as it was when the latest completed comparison began.
    compared: AtomicU64,
}

impl Changes {
    /// Starts watching; call before the first fingerprint is taken.
    pub fn watch(workspace: &Workspace) -> Changes {
        Changes {
            watcher: Watcher::new(workspace),
            seen: AtomicU64::new(0),
            compared: AtomicU64::new(0),
        }
    }

    /// False only when nothing can have changed since the last comparison.
    pub fn may_have_changed(&self) -> bool {
        let Some(watcher) = &self.watcher else {
            return true;
        };
        let _counted = self.count_events(watcher);
        self.seen.load(Ordering::SeqCst) != self.compared.load(Ordering::SeqCst)
    }

    /// Begins a full comparison: watches folders created since, and returns the token to hand
    /// to [`Changes::compared`] once a fingerprint taken after this call has been compared.
    pub fn begin_comparison(&self) -> u64 {
        if let Some(watcher) = &self.watcher {
            let _counted = self.count_events(watcher);
            watcher.watch_folders();
        }
        self.seen.load(Ordering::SeqCst)
    }

    /// Reads the queued events and counts them as one, holding the returned lock: a statement
    /// that finds the queue empty because another just drained it must still see that
    /// other's count.
    fn count_events<'a>(&self, watcher: &'a Watcher) -> std::sync::MutexGuard<'a, ()> {
        let draining = lock(&watcher.draining);
        if watcher.drain() {
            self.seen.fetch_add(1, Ordering::SeqCst);
        }
        draining
    }

    pub fn compared(&self, token: u64) {
        self.compared.fetch_max(token, Ordering::SeqCst);
    }
}

#[cfg(target_os = "linux")]
struct Watcher {
    inotify: rustix::fd::OwnedFd,
    sql_dir: std::path::PathBuf,
    data_dir: std::path::PathBuf,
    draining: Mutex<()>,
}

#[cfg(target_os = "linux")]
impl Watcher {
    fn new(workspace: &Workspace) -> Option<Watcher> {
        use rustix::fs::inotify::CreateFlags;
        let inotify = rustix::fs::inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)
            .inspect_err(|e| {
                eprintln!(
                    "fundq serve: cannot watch the folders ({e}); every statement checks them"
                )
            })
            .ok()?;
        let watcher = Watcher {
            inotify,
            sql_dir: workspace.sql_dir.clone(),
            data_dir: workspace.data_dir.clone(),
            draining: Mutex::new(()),
        };
        watcher.watch_folders().then_some(watcher)
    }

    /// Watches `sql/` and its sub-folders, and the data folder with each table's folder and
    /// Delta log; false when one of them could not be watched.
    fn watch_folders(&self) -> bool {
        let mut folders = vec![self.data_dir.clone()];
        folders.extend(sub_folders(&self.sql_dir));
        for table in children(&self.data_dir).filter(|p| p.is_dir()) {
            let log = table.join("_delta_log");
            if log.is_dir() {
                folders.push(log);
            }
            folders.push(table);
        }
        folders.iter().all(|folder| self.watch(folder))
    }

    fn watch(&self, folder: &Path) -> bool {
        use rustix::fs::inotify::WatchFlags;
        let changes = WatchFlags::MODIFY
            | WatchFlags::ATTRIB
            | WatchFlags::CLOSE_WRITE
            | WatchFlags::CREATE
            | WatchFlags::DELETE
            | WatchFlags::DELETE_SELF
            | WatchFlags::MOVED_FROM
            | WatchFlags::MOVED_TO
            | WatchFlags::MOVE_SELF;
        match rustix::fs::inotify::add_watch(&self.inotify, folder, changes) {
            Ok(_) => true,
            // Gone since it was listed: its parent's watch reports that.
            Err(rustix::io::Errno::NOENT) => true,
            Err(e) => {
                eprintln!(
                    "fundq serve: cannot watch {} ({e}); every statement checks the folders",
                    folder.display()
                );
                false
            }
        }
    }

    /// Reads every queued event; true when there was one.
    fn drain(&self) -> bool {
        let mut buffer = [0u8; 4096];
        let mut found = false;
        loop {
            match rustix::io::read(&self.inotify, &mut buffer) {
                Ok(0) => return found,
                Ok(_) => found = true,
                Err(rustix::io::Errno::INTR) => continue,
                // Empty (EAGAIN), or unreadable: an error counts as a change, to be safe.
                Err(rustix::io::Errno::AGAIN) => return found,
                Err(_) => return true,
            }
        }
    }
}

/// Where the kernel offers no watches, every statement takes the slow path.
#[cfg(not(target_os = "linux"))]
struct Watcher {
    draining: Mutex<()>,
}

#[cfg(not(target_os = "linux"))]
impl Watcher {
    fn new(_workspace: &Workspace) -> Option<Watcher> {
        None
    }
    fn watch_folders(&self) -> bool {
        false
    }
    fn drain(&self) -> bool {
        true
    }
}

fn children(dir: &Path) -> impl Iterator<Item = std::path::PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
}

/// `dir` and every folder below it.
fn sub_folders(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut folders = vec![dir.to_path_buf()];
    for child in children(dir).filter(|p| p.is_dir()) {
        folders.extend(sub_folders(&child));
    }
    folders
}

fn lock(mutex: &Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn workspace(dir: &Path) -> Workspace {
        std::fs::create_dir_all(dir.join("sql/views/a")).unwrap();
        std::fs::create_dir_all(dir.join("data/ledger/_delta_log")).unwrap();
        Workspace::new(dir.join("data"), dir.join("sql"), None).unwrap()
    }

    /// Compares as `Live::snapshot` does, without a catalog.
    fn compare(changes: &Changes) {
        let token = changes.begin_comparison();
        changes.compared(token);
    }

    #[test]
    fn a_change_is_seen_until_a_later_comparison() {
        let dir = tempfile::tempdir().unwrap();
        let changes = Changes::watch(&workspace(dir.path()));
        assert!(!changes.may_have_changed(), "nothing changed yet");
        std::fs::write(dir.path().join("data/ledger/_delta_log/1.json"), "{}").unwrap();
        assert!(changes.may_have_changed());
        assert!(changes.may_have_changed(), "still, until a comparison");
        compare(&changes);
        assert!(!changes.may_have_changed());
        std::fs::write(dir.path().join("sql/views/a/v1.sql"), "SELECT 1").unwrap();
        assert!(changes.may_have_changed(), "an edit below sql/");
    }

    #[test]
    fn folders_created_later_are_watched_after_a_comparison() {
        let dir = tempfile::tempdir().unwrap();
        let changes = Changes::watch(&workspace(dir.path()));
        std::fs::create_dir_all(dir.path().join("sql/views/b")).unwrap();
        assert!(changes.may_have_changed(), "a new view folder");
        compare(&changes);
        assert!(!changes.may_have_changed());
        std::fs::write(dir.path().join("sql/views/b/v1.sql"), "SELECT 1").unwrap();
        assert!(changes.may_have_changed(), "a file in the new folder");
    }
}
