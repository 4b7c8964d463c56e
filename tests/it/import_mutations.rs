//! A deterministic, fast cousin of the cargo-fuzz target `fuzz/fuzz_targets/import_csv.rs`:
//! a few hundred pseudo-random and mutated files go through the public import entry as a dry
//! run; each must come back as `Ok` or `Err`, never as a panic.
//!
//! Inputs come from a fixed-seed LCG, so a failure names an input that reproduces; the panicking
//! inputs are written to a temporary folder that the failure message names.

use std::panic::AssertUnwindSafe;
use std::path::Path;

use crate::common::{Project, root};
use fundq::import::{ImportMode, ImportOptions, import_file};
use fundq::workspace::Workspace;

/// Knuth's MMIX LCG; the high bits are the random ones.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces people (and spreadsheets) put in CSV files, to splice into inputs.
const TOKENS: &[&[u8]] = &[
    b",",
    b"\n",
    b"\r\n",
    b"\"",
    b";",
    b"\t",
    b"NaN",
    b"-inf",
    b"1e308",
    b"99999999999999999999999999999999999999999",
    b"-0.001",
    b"(12.30)",
    b"1,234.56",
    "\u{ff11}\u{ff12}\u{ff0e}\u{ff15}".as_bytes(), // full-width 12.5
    "万元".as_bytes(),
    "元/月".as_bytes(),
    "亿元".as_bytes(),
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xB9\xA4", // 工 in GBK
    b"\x00",
    b"\x81", // a GB18030 lead byte with nothing after it
    b"640121",
    b"2147483648",
    b"-2147483649",
    b"amount",
    b"unit",
    b"region_code",
];

fn random_bytes(rng: &mut Lcg) -> Vec<u8> {
    let len = rng.below(400);
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        match rng.below(3) {
            0 => bytes.push(rng.next() as u8),
            1 => bytes.push(b"0123456789,.-\n\"abc "[rng.below(19)]),
            _ => bytes.extend_from_slice(TOKENS[rng.below(TOKENS.len())]),
        }
    }
    bytes
}

fn mutate(source: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut bytes = source.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.insert(at, rng.next() as u8),
            2 => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(80)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            4 => bytes.truncate(at),
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.splice(at..end, token.iter().copied());
            }
        }
    }
    bytes
}

/// Every file of a table folder, to check that a dry run wrote nothing.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("_delta_log")).unwrap())
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn mutated_and_random_files_never_panic_the_import() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // No tables: the rules and the stored-key check are skipped, so most inputs test the parser
    // alone, quickly. Every fifth input goes through the sample (a copy, though a dry run writes
    // nothing) with the rules and the stored-key check.
    let empty = tempfile::tempdir().unwrap();
    let bare = Workspace::new(empty.path().to_path_buf(), root().join("sql"), None).unwrap();
    let project = Project::new();
    let sample = Workspace::new(project.data(), project.sql(), None).unwrap();
    let ledger_files = files(&project.data().join("ledger"));
    let ledger_csv = std::fs::read(root().join("data").join("ledger.csv")).unwrap();
    let headcount_csv = std::fs::read(root().join("data").join("headcount.csv")).unwrap();

    let inputs = tempfile::tempdir().unwrap();
    let import = |workspace: &Workspace, name: &str, bytes: &[u8], table: &str| {
        let path = inputs.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(import_file(
                workspace,
                &path,
                table,
                &ImportOptions {
                    dry_run: true,
                    ..ImportOptions::new(ImportMode::Append)
                },
            ))
        }))
    };

    // The unmutated sample is valid: 123 rows (data/ledger.csv) into a folder without a ledger.
    let summary = import(&bare, "ledger.csv", &ledger_csv, "ledger")
        .unwrap()
        .unwrap();
    assert_eq!((summary.rows, summary.version), (123, None));

    let mut rng = Lcg(0x5EED_F00D);
    let (mut valid, mut refused) = (0, 0);
    let mut panicked = Vec::new();
    for i in 0..300 {
        let (bytes, table) = match i % 10 {
            0..=2 => (random_bytes(&mut rng), "ledger"),
            3 => (mutate(&headcount_csv, &mut rng), "headcount"),
            _ => (mutate(&ledger_csv, &mut rng), "ledger"),
        };
        let workspace = if i % 5 == 0 { &sample } else { &bare };
        let name = format!("input-{i:03}.csv");
        match import(workspace, &name, &bytes, table) {
            Ok(Ok(_)) => valid += 1,
            Ok(Err(_)) => refused += 1,
            Err(_) => {
                let keep = std::env::temp_dir().join(format!("fundq-panic-{name}"));
                std::fs::write(&keep, &bytes).unwrap();
                panicked.push(keep.display().to_string());
            }
        }
    }
    eprintln!(
        "300 inputs: {valid} valid, {refused} refused, {} panics",
        panicked.len()
    );
    assert!(panicked.is_empty(), "import panicked on: {panicked:?}");
    // Some single mutations keep a file valid (a digit flipped in an amount) and random bytes
    // are almost never a ledger: both outcomes must have occurred, or the inputs are too tame.
    assert!(valid > 0 && refused > 0, "{valid} valid, {refused} refused");
    assert_eq!(files(&project.data().join("ledger")), ledger_files);
}
