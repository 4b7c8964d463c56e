//! Import formats: Chinese headers, scenario columns, the report's wide layout, xlsx workbooks,
//! a unit for the whole file, and `--reject`. Expected amounts are the file's figures converted
//! by hand (1 万元 = 10000 元), never read back from fundq's own output format.
//!
//! `tests/fixtures/work_injury_2023.xlsx` was written with openpyxl; its sheets are
//! `说明` (one line of text), `收入` (wide: 项目 | 利息收入 | 预防费支出 | 合计, rows 预算数 5, 7, 12
//! and 实际执行数 4.5, 6.25, 10.75) and `long` (the long layout: 2023 work-injury budgets of
//! interest 36463.16 万元 and prevention 1234.5 万元).

use crate::common::{Project, ok};

/// `(item_code, scenario, amount_yuan)` of the ledger rows of one year, sorted.
fn ledger_rows(p: &Project, year: i32) -> Vec<(String, String, String)> {
    let out = ok(p.run(&[
        "sql",
        &format!(
            "SELECT item_code, scenario, CAST(amount_yuan AS VARCHAR) AS amount FROM ledger \
             WHERE year = {year} ORDER BY item_code, scenario"
        ),
        "--format",
        "csv",
    ]));
    out.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

fn triple(item: &str, scenario: &str, yuan: &str) -> (String, String, String) {
    (item.into(), scenario.into(), yuan.into())
}

#[test]
fn chinese_headers_names_and_scenario_columns() {
    let p = Project::new();
    // 基金 by its Chinese name, 项目 by name or code, 预算数 / 实际数 side by side.
    p.write(
        "zh.csv",
        "地区代码,年度,基金,项目,预算数,实际数,单位\n\
         640121,2023,工伤保险,利息收入,5,4.5,万元\n\
         640121,2023,work_injury,prevention,7,,万元\n",
    );
    ok(p.run(&["import", &p.file("zh.csv"), "--table", "ledger"]));
    assert_eq!(
        ledger_rows(&p, 2023),
        [
            triple("interest", "actual", "45000.00"),   // 4.5 万元
            triple("interest", "budget", "50000.00"),   // 5 万元
            triple("prevention", "budget", "70000.00"), // 7 万元; the empty 实际数 is no row
        ]
    );
}

#[test]
fn the_wide_layout_of_the_report_tables() {
    let p = Project::new();
    p.write(
        "wide.csv",
        "项目,利息收入,预防费支出,合计,执行率\n\
         预算数,5,7,12,\n\
         实际执行数,4.5,6,10.5,\n\
         上年同期,3.79,4.9,8.69,\n\
         执行率,90%,85.71%,,\n",
    );
    let (code, _, err) = p.run(&[
        "import",
        &p.file("wide.csv"),
        "--table",
        "ledger",
        "--layout",
        "wide",
        "--region",
        "640121",
        "--year",
        "2024",
        "--fund",
        "work_injury",
        "--unit",
        "万元",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("`合计` is a total"), "{err}");
    assert!(err.contains("`执行率`) is a derived rate"), "{err}");
    assert_eq!(
        ledger_rows(&p, 2024),
        [
            triple("interest", "actual", "45000.00"),
            triple("interest", "budget", "50000.00"),
            triple("prevention", "actual", "60000.00"),
            triple("prevention", "budget", "70000.00"),
        ]
    );
    // 上年同期 is the actual of 2023.
    assert_eq!(
        ledger_rows(&p, 2023),
        [
            triple("interest", "actual", "37900.00"),
            triple("prevention", "actual", "49000.00"),
        ]
    );

    // An item name the item table does not know is refused with the closest known name, and
    // nothing is written.
    p.write("typo.csv", "项目,利息收,预防费支出\n预算数,5,7\n");
    let (code, _, err) = p.run(&[
        "import",
        &p.file("typo.csv"),
        "--table",
        "ledger",
        "--layout",
        "wide",
        "--region",
        "640121",
        "--year",
        "2025",
        "--fund",
        "work_injury",
        "--unit",
        "万元",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("row 2, column 利息收: `利息收` is not an item of fund work_injury"),
        "{err}"
    );
    assert!(err.contains("did you mean `利息收入`?"), "{err}");
    assert!(ledger_rows(&p, 2025).is_empty());

    // The wide layout needs its coordinates and a unit.
    let (code, _, err) = p.run(&[
        "import",
        &p.file("wide.csv"),
        "--table",
        "ledger",
        "--layout",
        "wide",
        "--region",
        "640121",
        "--year",
        "2024",
        "--fund",
        "work_injury",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--unit"), "{err}");
}

#[test]
fn xlsx_workbooks_by_sheet() {
    let p = Project::new();
    let book = crate::common::root().join("tests/fixtures/work_injury_2023.xlsx");
    let book = book.to_str().unwrap();
    ok(p.run(&["import", book, "--table", "ledger", "--sheet", "long"]));
    assert_eq!(
        ledger_rows(&p, 2023),
        [
            triple("interest", "budget", "364631600.00"), // 36463.16 万元
            triple("prevention", "budget", "12345000.00"), // 1234.5 万元
        ]
    );
    // The wide sheet, with the fund by name, in replace mode: the 2023 budget slice is
    // swapped for the sheet's figures.
    ok(p.run(&[
        "import",
        book,
        "--table",
        "ledger",
        "--sheet",
        "收入",
        "--layout",
        "wide",
        "--region",
        "640121",
        "--year",
        "2023",
        "--fund",
        "工伤保险",
        "--unit",
        "万元",
        "--mode",
        "replace",
    ]));
    assert_eq!(
        ledger_rows(&p, 2023),
        [
            triple("interest", "actual", "45000.00"),
            triple("interest", "budget", "50000.00"),
            triple("prevention", "actual", "62500.00"),
            triple("prevention", "budget", "70000.00"),
        ]
    );
    let (code, _, err) = p.run(&["import", book, "--table", "ledger", "--sheet", "支出"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no sheet `支出`; its sheets: 说明, 收入, long"),
        "{err}"
    );
    // A truncated workbook is named as such.
    let bytes = std::fs::read(book).unwrap();
    std::fs::write(p.dir.path().join("cut.xlsx"), &bytes[..300]).unwrap();
    let (code, _, err) = p.run(&["import", &p.file("cut.xlsx"), "--table", "ledger"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cut.xlsx: is not a readable .xlsx workbook"),
        "{err}"
    );
}

#[test]
fn a_unit_for_the_whole_file_and_rejected_rows() {
    let p = Project::new();
    p.write(
        "yi.csv",
        "region_code,year,fund_code,item_code,scenario,amount\n\
         640121,2023,work_injury,interest,budget,0.0005\n",
    );
    let (code, _, err) = p.run(&["import", &p.file("yi.csv"), "--table", "ledger"]);
    assert_eq!(code, 1);
    assert!(err.contains("or `amount` and --unit"), "{err}");
    ok(p.run(&[
        "import",
        &p.file("yi.csv"),
        "--table",
        "ledger",
        "--unit",
        "亿元",
    ]));
    // 0.0005 亿元 = 50000 元
    assert_eq!(
        ledger_rows(&p, 2023),
        [triple("interest", "budget", "50000.00")]
    );

    p.write(
        "mixed.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640121,2024,work_injury,interest,budget,5,万元\n\
         640121,2024,work_injury,no_such_item,budget,5,万元\n\
         640121,2024,work_injury,prevention,budget,abc,万元\n\
         640121,2024,work_injury,prevention,actual,3,万元\n",
    );
    // Without --reject nothing is written.
    let (code, _, _) = p.run(&["import", &p.file("mixed.csv"), "--table", "ledger"]);
    assert_eq!(code, 1);
    assert!(ledger_rows(&p, 2024).is_empty());
    // With it the two valid rows are written and the two invalid ones listed with reasons.
    let rejects = p.file("rejects.csv");
    let (code, _, err) = p.run(&[
        "import",
        &p.file("mixed.csv"),
        "--table",
        "ledger",
        "--reject",
        &rejects,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rejected 2 row(s)"), "{err}");
    assert_eq!(
        ledger_rows(&p, 2024),
        [
            triple("interest", "budget", "50000.00"),
            triple("prevention", "actual", "30000.00"),
        ]
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(
        lines[0],
        "file_row,region_code,year,fund_code,item_code,scenario,amount,unit,problem"
    );
    assert_eq!(lines.len(), 3, "{rejected}");
    assert!(lines[1].starts_with("3,640121,2024,work_injury,no_such_item,budget,5,万元,"));
    assert!(lines[1].contains("is not an item of fund work_injury"));
    assert!(lines[2].starts_with("4,640121,2024,work_injury,prevention,budget,abc,万元,"));
    assert!(lines[2].contains("is not an amount"));
}
