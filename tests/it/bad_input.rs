//! A corpus of bad input files, one per class of mistake (`tests/bad_input/`): each import must
//! fail with exit code 1, name the file and say what is wrong where (row, column, value, what
//! was expected), and leave the target table exactly as it was.
//!
//! The fixtures are tiny and hand-written; each case states in a comment what its file holds.
//! Unless said otherwise, a ledger fixture's row 2 is valid and row 3 (the second data row) is
//! the bad one, so a message naming row 3 points at the right line.

use std::path::{Path, PathBuf};

use crate::common::{Project, root};

struct Case {
    file: &'static str,
    table: &'static str,
    /// Phrases the error must contain, beyond the file name.
    phrases: &'static [&'static str],
}

const CASES: &[Case] = &[
    // region 640199 is not in data/regions.csv (640000, 640100, 640121)
    Case {
        file: "unknown_region.csv",
        table: "ledger",
        phrases: &[
            "row 3, column region_code: `640199` is not a region_code of the region table",
            "1 problem(s)",
        ],
    },
    // fund `unemployment` is not in data/funds.csv; its item `interest` then is no item either
    Case {
        file: "unknown_fund.csv",
        table: "ledger",
        phrases: &[
            "row 3, column fund_code: `unemployment` is not a fund_code of the fund table",
            "row 3, column item_code: `interest` is not an item of fund unemployment",
        ],
    },
    // item `intrest` (typo of interest) is not a work_injury item
    Case {
        file: "unknown_item.csv",
        table: "ledger",
        phrases: &["row 3, column item_code: `intrest` is not an item of fund work_injury"],
    },
    // scenario `forecast` is none of budget, adjusted_budget, actual
    Case {
        file: "unknown_scenario.csv",
        table: "ledger",
        phrases: &[
            "row 3, column scenario: `forecast` is not a scenario; expected budget, adjusted_budget or actual",
        ],
    },
    // year 2101 is past the rule's 1990..=2100
    Case {
        file: "year_out_of_range.csv",
        table: "ledger",
        phrases: &["row 3, column year: `2101` is out of range; expected a year from 1990 to 2100"],
    },
    // `1O0.00`: a letter O typed for a zero
    Case {
        file: "unparsable_amount.csv",
        table: "ledger",
        phrases: &[
            "row 3, column amount: `1O0.00` is not an amount; expected a number such as 1234.56",
        ],
    },
    Case {
        file: "nan_amount.csv",
        table: "ledger",
        phrases: &["row 3, column amount: `NaN` is not an amount"],
    },
    Case {
        file: "infinity_amount.csv",
        table: "ledger",
        phrases: &["row 3, column amount: `-Infinity` is not an amount"],
    },
    // 12.345 元 is a tenth of a fen too precise
    Case {
        file: "sub_fen_amount.csv",
        table: "ledger",
        phrases: &["row 3, column amount: `12.345` has more than 2 decimals of yuan"],
    },
    // headcount row 3: retired persons -3
    Case {
        file: "negative_persons.csv",
        table: "headcount",
        phrases: &["row 3, column persons: `-3` is negative; a count of persons is 0 or more"],
    },
    // headcount row 3: retired persons 7.5
    Case {
        file: "fractional_persons.csv",
        table: "headcount",
        phrases: &["row 3, column persons: `7.5` is not a whole number"],
    },
    // row 4 repeats the key of row 2 (640121, 2023, work_injury, interest, actual)
    Case {
        file: "duplicate_key.csv",
        table: "ledger",
        phrases: &[
            "row 4: key (region_code, year, fund_code, item_code, scenario) repeats row 2: (640121, 2023, work_injury, interest, actual)",
        ],
    },
    // row 3 is 640121/2022/work_injury/interest/actual, row 99 of data/ledger.csv (3.79 万元)
    Case {
        file: "key_already_stored.csv",
        table: "ledger",
        phrases: &[
            "row 3: key (640121, 2022, work_injury, interest, actual) is already stored in table `ledger`",
            "--mode replace",
        ],
    },
    // zero bytes
    Case {
        file: "empty.csv",
        table: "ledger",
        phrases: &["the file is empty"],
    },
    Case {
        file: "header_only.csv",
        table: "ledger",
        phrases: &["the file has a header but no rows; nothing to import"],
    },
    // The header and row separated by `;`, as a European-locale spreadsheet saves CSV.
    Case {
        file: "semicolon.csv",
        table: "ledger",
        phrases: &[
            "header: columns are separated by semicolons; fundq reads comma-separated CSV",
            "1 problem(s)",
        ],
    },
    // The same with tabs (a TSV saved as .csv).
    Case {
        file: "tab.csv",
        table: "ledger",
        phrases: &["header: columns are separated by tabs; fundq reads comma-separated CSV"],
    },
    // no `scenario` column
    Case {
        file: "missing_column.csv",
        table: "ledger",
        phrases: &["header: column `scenario` is missing"],
    },
    // a PNG signature, an IHDR chunk header, then 300 LCG bytes
    Case {
        file: "binary_garbage.csv",
        table: "ledger",
        phrases: &[
            "is neither UTF-8 nor GBK/GB18030 text, nor an .xlsx workbook; save it as CSV (UTF-8)",
        ],
    },
    // a valid header, then a unit of bytes FF FE FF: byte FF is neither UTF-8 nor GB18030
    Case {
        file: "invalid_encoding.csv",
        table: "ledger",
        phrases: &["is neither UTF-8 nor GBK/GB18030 text"],
    },
];

fn fixture(name: &str) -> PathBuf {
    root().join("tests").join("bad_input").join(name)
}

/// Every file of a table folder (data and log), sorted: a refused import must leave no trace,
/// not even an unreferenced Parquet file.
fn table_files(table: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for dir in [table.to_path_buf(), table.join("_delta_log")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                names.push(
                    entry
                        .path()
                        .strip_prefix(table)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    names.sort();
    names
}

fn row_count(p: &Project, table: &str) -> String {
    crate::common::ok(p.run(&[
        "sql",
        &format!("SELECT count(*) AS n FROM {table}"),
        "--format",
        "csv",
    ]))
}

#[test]
fn every_class_of_bad_input_is_refused_with_its_row_and_column_and_changes_nothing() {
    let p = Project::new();
    // From data/ledger.csv and data/headcount.csv: 123 and 54 rows.
    assert_eq!(row_count(&p, "ledger"), "n\n123\n");
    assert_eq!(row_count(&p, "headcount"), "n\n54\n");
    let mut failures = Vec::new();
    for case in CASES {
        let table = p.data().join(case.table);
        let files_before = table_files(&table);
        let count_before = row_count(&p, case.table);
        let file = fixture(case.file);
        let (code, out, err) = p.run(&["import", file.to_str().unwrap(), "--table", case.table]);
        if code != 1 {
            failures.push(format!("{}: exit code {code}, stdout {out}", case.file));
        }
        if !err.contains(file.to_str().unwrap()) {
            failures.push(format!(
                "{}: the message does not name the file: {err}",
                case.file
            ));
        }
        if !err.contains("nothing was written") {
            failures.push(format!("{}: no «nothing was written»: {err}", case.file));
        }
        for phrase in case.phrases {
            if !err.contains(phrase) {
                failures.push(format!("{}: missing «{phrase}» in {err}", case.file));
            }
        }
        if table_files(&table) != files_before {
            failures.push(format!("{}: the table folder changed", case.file));
        }
        if row_count(&p, case.table) != count_before {
            failures.push(format!("{}: the row count changed", case.file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every fixture in tests/bad_input/ is a case of the table above (or the xlsx case below), so a
/// fixture added without a case does not silently go untested.
#[test]
fn every_fixture_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests").join("bad_input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut cases: Vec<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    cases.push("truncated.xlsx".into());
    cases.sort();
    assert_eq!(files, cases);
}

/// The first 200 bytes of a zip (an .xlsx cut short in a download: `PK\x03\x04`, then the local
/// header of `[Content_Types].xml`): refused as an unreadable workbook, table unchanged.
#[test]
fn a_truncated_xlsx_is_refused_naming_the_format() {
    let p = Project::new();
    let table = p.data().join("ledger");
    let files_before = table_files(&table);
    let file = fixture("truncated.xlsx");
    let (code, _, err) = p.run(&["import", file.to_str().unwrap(), "--table", "ledger"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(file.to_str().unwrap()), "{err}");
    assert!(err.to_lowercase().contains("xlsx"), "{err}");
    assert_eq!(table_files(&table), files_before);
    assert_eq!(row_count(&p, "ledger"), "n\n123\n");
}
