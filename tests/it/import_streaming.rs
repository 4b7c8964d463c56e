//! Import of files larger than one chunk (65,536 rows), which are read, checked and written as
//! a stream: every row arrives exactly once, and problems found across chunks (a key repeated
//! 150,000 rows later, a key already stored, a bad cell in the middle) are all reported.
//! Expected counts and sums are computed here from the generated rows, not by fundq.

use crate::common::{Project, ok};

const ITEMS: [&str; 7] = [
    "contribution",
    "interest",
    "fiscal_subsidy",
    "benefit",
    "prevention",
    "remit_to_higher",
    "other_expense",
];

/// A work-injury ledger of `rows` rows for years 3000 on (unique keys), amounts in 元 with two
/// decimals; returns the CSV text and the rows' total in fen.
fn big_ledger(rows: usize) -> (String, i128) {
    let mut text = String::from("region_code,year,fund_code,item_code,scenario,amount,unit\n");
    let mut total_fen: i128 = 0;
    for n in 0..rows {
        let year = 3000 + n / 14;
        let item = ITEMS[(n % 14) / 2];
        let scenario = if n % 2 == 0 { "budget" } else { "actual" };
        let fen = ((n as i128) * 7919) % 100_000_000;
        total_fen += fen;
        text.push_str(&format!(
            "640121,{year},work_injury,{item},{scenario},{}.{:02},元\n",
            fen / 100,
            fen % 100
        ));
    }
    (text, total_fen)
}

/// A copy of the sample whose year rule is dropped, so years 3000+ keep keys unique.
fn project() -> Project {
    let project = Project::new();
    std::fs::remove_file(project.sql().join("import/ledger/year_in_range.sql")).unwrap();
    project
}

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = walk(dir);
    names.sort();
    names
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            names.extend(walk(&path));
        } else {
            names.push(path.display().to_string());
        }
    }
    names
}

fn fen_text(fen: i128) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[test]
fn a_file_of_several_chunks_imports_every_row_exactly_under_a_small_memory_limit() {
    let project = project();
    let (text, total_fen) = big_ledger(150_000);
    project.write("big.csv", &text);
    // 16 MB is far less than the file's rows take in memory: the key check has to spill.
    ok(project.run(&[
        "--memory-limit-mb",
        "16",
        "import",
        &project.file("big.csv"),
        "--table",
        "ledger",
    ]));
    let stored = ok(project.run(&[
        "sql",
        "SELECT COUNT(*) AS n, SUM(amount_yuan) AS total FROM ledger WHERE year >= 3000",
        "--format",
        "csv",
    ]));
    assert_eq!(stored, format!("n,total\n150000,{}\n", fen_text(total_fen)));
}

#[test]
fn problems_far_apart_in_a_big_file_are_all_reported_and_reject_keeps_the_rest() {
    let project = project();
    let (text, _) = big_ledger(150_000);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // File row 100,001 (line index 100,000): an amount with a third decimal.
    lines[100_000] = lines[100_000].replace(",元", "5,元");
    let bad_amount = lines[100_000].split(',').nth(5).unwrap().to_string();
    // File row 150,002: the first data row again.
    lines.push(lines[1].clone());
    // File row 150,003: a key the sample ledger already holds.
    lines.push("640121,2022,work_injury,interest,actual,1.00,元".to_string());
    project.write("bad.csv", &(lines.join("\n") + "\n"));

    let before = listing(&project.data().join("ledger"));
    let (code, _, err) = project.run(&["import", &project.file("bad.csv"), "--table", "ledger"]);
    assert_eq!(code, 1, "{err}");
    for phrase in [
        format!("row 100001, column amount: `{bad_amount}`"),
        "row 150002: key (region_code, year, fund_code, item_code, scenario) repeats row 2: \
         (640121, 3000, work_injury, contribution, budget)"
            .to_string(),
        "row 150003: key (640121, 2022, work_injury, interest, actual) is already stored in table `ledger`"
            .to_string(),
    ] {
        assert!(err.contains(&phrase), "missing `{phrase}` in:\n{err}");
    }
    assert!(err.contains("3 problem(s) in"), "{err}");
    assert_eq!(listing(&project.data().join("ledger")), before);

    let rejects = project.dir.path().join("rejects.csv");
    ok(project.run(&[
        "import",
        &project.file("bad.csv"),
        "--table",
        "ledger",
        "--reject",
        rejects.to_str().unwrap(),
    ]));
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    let rejected_rows: Vec<&str> = rejected
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(rejected_rows, ["100001", "150002", "150003"], "{rejected}");
    let stored = ok(project.run(&[
        "sql",
        "SELECT COUNT(*) AS n FROM ledger WHERE year >= 3000",
        "--format",
        "csv",
    ]));
    // 150,000 generated rows minus the one with the bad amount; the repeat and the stored key
    // were extra rows.
    assert_eq!(stored, "n\n149999\n");
}
