//! Imports that never lose data: a `fundq import` killed with SIGKILL at any moment, and two
//! imports into one table at the same time, must leave every table readable and holding either
//! the old rows or the old rows plus all the new ones, never part of a file.
//!
//! These tests run real processes. Timings are measured, not assumed: the kill delays are
//! fractions of how long one full import takes on this machine, so they cover parsing, the
//! rules, writing Parquet and the commit whatever the build and the load.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::common::{Project, ok, root};

/// Rows in the sample ledger (data/ledger.csv has 123 data rows).
const SAMPLE_LEDGER_ROWS: usize = 123;
const REGIONS: [&str; 3] = ["640000", "640100", "640121"];
const SCENARIOS: [&str; 3] = ["budget", "adjusted_budget", "actual"];

/// The (fund_code, item_code) pairs of data/items.csv: 52 items (13 + 11 + 8 + 20).
fn items() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("data").join("items.csv")).unwrap();
    let items: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let mut cells = line.split(',');
            (
                cells.next().unwrap().to_string(),
                cells.next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(items.len(), 52);
    items
}

/// A valid ledger file: every region × item × scenario for each year (all years after the
/// sample's 2021–2022, so no key is stored yet), 3 × 52 × 3 = 468 rows a year.
fn ledger_rows(years: std::ops::RangeInclusive<i32>) -> (String, usize) {
    let items = items();
    let mut text = String::from("region_code,year,fund_code,item_code,scenario,amount,unit\n");
    let mut rows = 0;
    for year in years {
        for region in REGIONS {
            for (fund, item) in &items {
                for scenario in SCENARIOS {
                    // An amount that changes with the row, with fen, in yuan.
                    let fen = (rows * 7919) % 10_000_000;
                    text.push_str(&format!(
                        "{region},{year},{fund},{item},{scenario},{}.{:02},元\n",
                        fen / 100,
                        fen % 100
                    ));
                    rows += 1;
                }
            }
        }
    }
    (text, rows)
}

fn spawn_import(p: &Project, file: &str, mode: &str) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("fundq"))
        .arg("--data")
        .arg(p.data())
        .arg("--sql")
        .arg(p.sql())
        .args(["import", file, "--table", "ledger", "--mode", mode])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn ledger_count(p: &Project) -> usize {
    let out = ok(p.run(&["sql", "SELECT count(*) AS n FROM ledger", "--format", "csv"]));
    out.lines().nth(1).unwrap().parse().unwrap()
}

/// Stored keys that appear more than once.
fn duplicate_keys(p: &Project) -> String {
    ok(p.run(&[
        "sql",
        "SELECT region_code, year, fund_code, item_code, scenario, count(*) AS n FROM ledger \
         GROUP BY region_code, year, fund_code, item_code, scenario HAVING count(*) > 1",
        "--format",
        "csv",
    ]))
}

/// The history as CSV lines after the header, newest first.
fn history(p: &Project) -> Vec<String> {
    ok(p.run(&["history", "ledger", "--format", "csv"]))
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// Files in the table folder that the log does not reference: what a killed write left.
fn parquet_files(table: &Path) -> usize {
    std::fs::read_dir(table)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".parquet")
        })
        .count()
}

/// Every table opens and the standard view runs.
fn assert_readable(p: &Project, context: &str) {
    let (code, _, err) = p.run(&["tables"]);
    assert_eq!(code, 0, "{context}: fundq tables: {err}");
    let (code, _, err) = p.run(&["run", "budget_execution", "--format", "csv"]);
    assert_eq!(code, 0, "{context}: fundq run budget_execution: {err}");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Killed before the commit: the table is as it was.
    Before,
    /// The commit landed (the kill came after it, or the process had finished).
    After,
}

/// Kills `fundq import` with SIGKILL after delays from 0 to past a full import's duration; each
/// attempt must leave the old 123 rows or 123 + all new rows, with a history to match.
#[test]
fn a_killed_import_leaves_the_old_rows_or_all_the_new_ones() {
    // 2023..=2040: 18 years × 468 = 8,424 rows; big enough that a debug build takes about a
    // second, small enough for 12 attempts in under a minute. (The window in which the Parquet
    // file and the commit are written is a few milliseconds of that second.)
    let (text, new_rows) = ledger_rows(2023..=2040);
    assert_eq!(new_rows, 18 * 468);

    // One full import measures how long the whole thing takes (and proves the file is valid).
    let scratch = Project::new();
    scratch.write("kill.csv", &text);
    let started = Instant::now();
    let status = spawn_import(&scratch, &scratch.file("kill.csv"), "append")
        .wait_with_output()
        .unwrap();
    let full = started.elapsed();
    assert!(status.status.success(), "{:?}", status);
    assert_eq!(ledger_count(&scratch), SAMPLE_LEDGER_ROWS + new_rows);

    // Four kills spread over the import (parsing, rules), then a bisection on the moment the
    // commit lands: each kill that came before it raises the low bound, each after lowers the
    // high one, so the later attempts fall ever closer to where the Parquet file and the commit
    // are written, whatever the speed of the machine.
    let spread = [0.0, 0.3, 0.6, 0.85];
    let (mut low, mut high) = (full.mul_f64(0.85), full.mul_f64(1.1));
    let mut outcomes = Vec::new();
    for attempt in 0..12 {
        let delay = match spread.get(attempt) {
            Some(fraction) => full.mul_f64(*fraction),
            None => (low + high) / 2,
        };
        let p = Project::new();
        p.write("kill.csv", &text);
        let table = p.data().join("ledger");
        let parquet_before = parquet_files(&table);
        let mut child = spawn_import(&p, &p.file("kill.csv"), "append");
        std::thread::sleep(delay);
        let finished_first = child.try_wait().unwrap().is_some();
        if !finished_first {
            child.kill().unwrap(); // SIGKILL
        }
        child.wait().unwrap();

        let context = format!("attempt {attempt} (kill after {delay:?})");
        assert_readable(&p, &context);
        let count = ledger_count(&p);
        let history = history(&p);
        let outcome = if count == SAMPLE_LEDGER_ROWS {
            assert_eq!(history.len(), 1, "{context}: {history:?}");
            Outcome::Before
        } else {
            assert_eq!(
                count,
                SAMPLE_LEDGER_ROWS + new_rows,
                "{context}: part of the file was imported"
            );
            assert_eq!(history.len(), 2, "{context}: {history:?}");
            assert!(
                history[0].starts_with("1,") && history[0].contains("kill.csv"),
                "{context}: {history:?}"
            );
            assert!(
                history[0].contains(&format!(",{new_rows},")),
                "{context}: {history:?}"
            );
            Outcome::After
        };
        assert!(history.last().unwrap().starts_with("0,"), "{history:?}");
        assert!(
            history.last().unwrap().contains("ledger.csv"),
            "{history:?}"
        );
        assert_eq!(duplicate_keys(&p).lines().count(), 1, "{context}");
        let leftovers = parquet_files(&table) - parquet_before;
        eprintln!(
            "{context}: {outcome:?} the commit{}; {leftovers} new Parquet file(s)",
            if finished_first {
                " (had finished)"
            } else {
                ""
            }
        );
        outcomes.push((delay, outcome, leftovers));
        if attempt >= spread.len() - 1 {
            // Machine load changes the speed between attempts: widen a bound the other passed.
            match outcome {
                Outcome::Before => {
                    low = delay;
                    high = high.max(delay.mul_f64(1.2));
                }
                Outcome::After => {
                    high = delay;
                    low = low.min(delay.mul_f64(0.7));
                }
            }
        }

        // After a kill before the commit, importing the same file again works: a Parquet file a
        // killed write left behind is not part of the table and does not get in the way.
        if outcome == Outcome::Before && leftovers > 0 {
            ok(p.run(&["import", &p.file("kill.csv"), "--table", "ledger"]));
            assert_eq!(ledger_count(&p), SAMPLE_LEDGER_ROWS + new_rows);
            assert_eq!(self::history(&p).len(), 2);
        }
    }
    let before = outcomes.iter().filter(|o| o.1 == Outcome::Before).count();
    eprintln!(
        "full import {full:?}; {before} attempt(s) killed before the commit, {} after",
        outcomes.len() - before
    );
    // A kill at 0 ms cannot come after a commit that needs the whole file parsed.
    assert_eq!(outcomes[0].1, Outcome::Before);
}

/// Two ledger files for the same table with different keys (years 2023 and 2024, 468 rows
/// each), imported by two processes started together, several times over.
#[test]
fn concurrent_appends_of_different_rows_both_land_or_one_asks_to_retry() {
    let (a, a_rows) = ledger_rows(2023..=2023);
    let (b, b_rows) = ledger_rows(2024..=2024);
    assert_eq!((a_rows, b_rows), (468, 468));
    for round in 0..4 {
        let p = Project::new();
        p.write("a.csv", &a);
        p.write("b.csv", &b);
        let first = spawn_import(&p, &p.file("a.csv"), "append");
        let second = spawn_import(&p, &p.file("b.csv"), "append");
        let first = first.wait_with_output().unwrap();
        let second = second.wait_with_output().unwrap();
        let context = format!(
            "round {round}: a: {:?} {}; b: {:?} {}",
            first.status,
            String::from_utf8_lossy(&first.stderr),
            second.status,
            String::from_utf8_lossy(&second.stderr)
        );
        assert_readable(&p, &context);
        let mut expected = SAMPLE_LEDGER_ROWS;
        for (output, rows, year) in [(&first, a_rows, 2023), (&second, b_rows, 2024)] {
            let in_table = ok(p.run(&[
                "sql",
                &format!("SELECT count(*) AS n FROM ledger WHERE year = {year}"),
                "--format",
                "csv",
            ]));
            if output.status.success() {
                expected += rows;
                assert_eq!(in_table, format!("n\n{rows}\n"), "{context}");
            } else {
                let err = String::from_utf8_lossy(&output.stderr);
                assert!(err.contains("retry"), "{context}");
                assert_eq!(in_table, "n\n0\n", "{context}");
            }
        }
        assert_eq!(ledger_count(&p), expected, "{context}");
        let successes = [&first, &second]
            .iter()
            .filter(|o| o.status.success())
            .count();
        let history = history(&p);
        assert_eq!(history.len(), 1 + successes, "{context}: {history:?}");
        eprintln!("round {round}: {successes} of 2 imports committed");
    }
}

/// Two `--mode replace` imports of different slices (640121 2022 actual, 640121 2022 budget)
/// started together. Each slice is replaced by its file's one row or, if that import failed,
/// keeps its sample rows (52 actual, 34 budget in 2022; 37 actual in 2021 are never touched).
#[test]
fn concurrent_replaces_of_different_slices_leave_each_slice_whole() {
    let header = "region_code,year,fund_code,item_code,scenario,amount,unit\n";
    let actual = format!("{header}640121,2022,work_injury,interest,actual,4.00,万元\n");
    let budget = format!("{header}640121,2022,work_injury,interest,budget,5.00,万元\n");
    for round in 0..4 {
        let p = Project::new();
        p.write("actual.csv", &actual);
        p.write("budget.csv", &budget);
        let first = spawn_import(&p, &p.file("actual.csv"), "replace");
        let second = spawn_import(&p, &p.file("budget.csv"), "replace");
        let first = first.wait_with_output().unwrap();
        let second = second.wait_with_output().unwrap();
        let context = format!(
            "round {round}: actual: {:?} {}; budget: {:?} {}",
            first.status,
            String::from_utf8_lossy(&first.stderr),
            second.status,
            String::from_utf8_lossy(&second.stderr)
        );
        assert!(
            first.status.success() || second.status.success(),
            "{context}"
        );
        assert_readable(&p, &context);
        let actual_2022 = if first.status.success() { 1 } else { 52 };
        let budget_2022 = if second.status.success() { 1 } else { 34 };
        let counts = ok(p.run(&[
            "sql",
            "SELECT scenario, year, count(*) AS n FROM ledger GROUP BY scenario, year ORDER BY year, scenario",
            "--format",
            "csv",
        ]));
        assert_eq!(
            counts,
            format!(
                "scenario,year,n\nactual,2021,37\nactual,2022,{actual_2022}\nbudget,2022,{budget_2022}\n"
            ),
            "{context}"
        );
        let successes = [&first, &second]
            .iter()
            .filter(|o| o.status.success())
            .count();
        assert_eq!(history(&p).len(), 1 + successes, "{context}");
        eprintln!("round {round}: {successes} of 2 replaces committed; {context}");
    }
}

/// When a concurrent commit makes an import fail, the message must say what happened and what
/// to do: nothing was written, retry (not deltalake's own text, which names an isolation setting
/// fundq users cannot change).
#[test]
fn a_conflicting_import_says_nothing_was_written_and_to_retry() {
    let header = "region_code,year,fund_code,item_code,scenario,amount,unit\n";
    let actual = format!("{header}640121,2022,work_injury,interest,actual,4.00,万元\n");
    let budget = format!("{header}640121,2022,work_injury,interest,budget,5.00,万元\n");
    for _ in 0..8 {
        let p = Project::new();
        p.write("actual.csv", &actual);
        p.write("budget.csv", &budget);
        let first = spawn_import(&p, &p.file("actual.csv"), "replace");
        let second = spawn_import(&p, &p.file("budget.csv"), "replace");
        for output in [first, second].map(|c| c.wait_with_output().unwrap()) {
            if !output.status.success() {
                let err = String::from_utf8_lossy(&output.stderr);
                assert_eq!(output.status.code(), Some(1), "{err}");
                assert!(err.contains("retry"), "{err}");
                assert!(err.contains("nothing was written"), "{err}");
                assert!(!err.contains("Snapshot Isolation"), "{err}");
                return;
            }
        }
    }
    panic!("no conflict in 8 rounds; the test did not test anything");
}

/// The same file imported twice at the same time (two copies, 468 rows of 2023): the keys are
/// checked against the table before the write, so both processes see them absent. Exactly one
/// may commit; the other must fail (already stored, or retry), and no key may be stored twice.
/// (Before storage::commit pinned the version it validated against, deltalake retried the blind
/// append on top of the other commit and both landed: 468 duplicated keys.)
#[test]
fn concurrent_appends_of_the_same_keys_store_each_key_once() {
    let (a, rows) = ledger_rows(2023..=2023);
    for round in 0..4 {
        let p = Project::new();
        p.write("a.csv", &a);
        p.write("copy.csv", &a);
        let first = spawn_import(&p, &p.file("a.csv"), "append");
        let second = spawn_import(&p, &p.file("copy.csv"), "append");
        let outputs = [first, second].map(|c| c.wait_with_output().unwrap());
        let successes = outputs.iter().filter(|o| o.status.success()).count();
        assert_eq!(successes, 1, "round {round}: {outputs:?}");
        assert_eq!(duplicate_keys(&p).lines().count(), 1, "round {round}");
        assert_eq!(ledger_count(&p), SAMPLE_LEDGER_ROWS + rows, "round {round}");
    }
}
