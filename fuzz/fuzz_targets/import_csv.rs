//! Arbitrary bytes as an import file: the public entry, as a dry run against the sample, must
//! return `Ok` or `Err` and never panic. Drives the same path as `fundq import FILE --dry-run`,
//! so nothing private is exposed for fuzzing.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use fundq::import::{ImportMode, ImportOptions, import_file};
use fundq::workspace::Workspace;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    workspace: Workspace,
    dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let project = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        // A dry run writes nothing, so the sample itself serves: rules and stored keys run too.
        let workspace = Workspace::new(project.join("data"), project.join("sql"), None)
            .expect("run from a fundq checkout");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime"),
            workspace,
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let path = fixture.dir.path().join("input.csv");
    std::fs::write(&path, data).expect("writing the input");
    let _ = fixture.runtime.block_on(import_file(
        &fixture.workspace,
        &path,
        "ledger",
        &ImportOptions {
            dry_run: true,
            ..ImportOptions::new(ImportMode::Append)
        },
    ));
});
