//! End-to-end tests of the `fundq` binary on the sample data and on small fixtures made here.
//!
//! Expected figures come from the independent oracle (`tests/oracle/oracle.py`, plain Python
//! decimals over the source CSVs) or from the source CSVs directly, never from fundq itself.

use std::path::Path;
use std::process::Command;

use crate::common::{Project, fundq, ok, root, sample};

const STANDARD_VIEWS: [&str; 6] = [
    "budget_execution",
    "yoy_growth",
    "headcount_growth",
    "headcount_share",
    "per_capita",
    "fund_balance",
];

/// CSV text with its data lines sorted, so row order does not matter.
fn sorted_csv(text: &str) -> Vec<String> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().to_string();
    let mut rows: Vec<String> = lines.map(str::to_string).collect();
    rows.sort();
    std::iter::once(header).chain(rows).collect()
}

fn oracle(view: &str) -> String {
    let out = Command::new("python3")
        .arg(root().join("tests/oracle/oracle.py"))
        .arg(root().join("data"))
        .arg(view)
        .output()
        .expect("python3 runs the oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Both ways of reading a table: the sample's tables are small, so by default each is read into
/// memory once; `--small-table-mb 0` reads the Delta tables' files at every scan.
#[test]
fn standard_views_equal_the_independent_oracle() {
    for view in STANDARD_VIEWS {
        let expected = oracle(view);
        assert!(
            expected.lines().count() > 5,
            "{view}: oracle produced too little"
        );
        for small_table_mb in ["4", "0"] {
            let ours = ok(sample(&[
                "--small-table-mb",
                small_table_mb,
                "run",
                view,
                "--format",
                "csv",
            ]));
            assert_eq!(
                sorted_csv(&ours),
                sorted_csv(&expected),
                "{view}, --small-table-mb {small_table_mb}"
            );
        }
    }
}

#[test]
fn named_query_binds_typed_parameters() {
    let out = ok(sample(&[
        "run",
        "fund_summary",
        "--param",
        "region=640121",
        "--param",
        "year=2022",
        "--format",
        "csv",
    ]));
    // The same figures, from the oracle's budget_execution total rows of 2022.
    let oracle_totals: Vec<String> = oracle("budget_execution")
        .lines()
        .filter(|l| l.contains(",2022,") && l.contains(",total,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{},{},{}", f[2], f[3], f[4], f[7], f[8], f[9])
        })
        .collect();
    let mut ours: Vec<String> = out.lines().skip(1).map(str::to_string).collect();
    let mut expected = oracle_totals;
    ours.sort();
    expected.sort();
    assert_eq!(ours.len(), 8);
    assert_eq!(ours, expected);

    let (code, _, err) = sample(&["run", "fund_summary", "--param", "region=640121"]);
    assert_eq!(code, 2);
    assert!(err.contains("--param year=VALUE"), "{err}");
    let (code, _, err) = sample(&[
        "run",
        "fund_summary",
        "--param",
        "region=1",
        "--param",
        "year=20x",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("`20x` is not a valid Int32"), "{err}");
    // A value with SQL in it is data, not SQL: it simply matches nothing.
    let out = ok(sample(&[
        "run",
        "fund_summary",
        "--param",
        "region=' OR '1'='1",
        "--param",
        "year=2022",
        "--format",
        "csv",
    ]));
    assert_eq!(out.lines().count(), 1, "{out}");
}

#[test]
fn filters_are_typed_and_checked() {
    let out = ok(sample(&[
        "run",
        "budget_execution",
        "--filter",
        "year=2021",
        "--filter",
        "item_code=total",
        "--format",
        "csv",
    ]));
    // 2021 has actuals only: 4 funds × 2 directions of totals.
    assert_eq!(out.lines().count(), 1 + 8, "{out}");
    let (code, _, err) = sample(&["run", "budget_execution", "--filter", "yeer=2021"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `year`"), "{err}");
}

#[test]
fn a_new_view_file_runs_without_rebuilding() {
    let p = Project::new();
    p.write(
        "sql/views/ledger_rows/v1.sql",
        "-- Ledger rows per fund.\nSELECT fund_code, count(*) AS n FROM ledger GROUP BY fund_code ORDER BY fund_code",
    );
    let out = ok(p.run(&["run", "ledger_rows", "--format", "csv"]));
    // Expected: rows per fund counted straight from the source CSV.
    let csv = std::fs::read_to_string(root().join("data/ledger.csv")).unwrap();
    let mut expected = std::collections::BTreeMap::new();
    for line in csv.lines().skip(1) {
        *expected
            .entry(line.split(',').nth(2).unwrap().to_string())
            .or_insert(0) += 1;
    }
    let expected: Vec<String> = std::iter::once("fund_code,n".to_string())
        .chain(expected.iter().map(|(k, v)| format!("{k},{v}")))
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    let listed = ok(p.run(&["views", "--format", "csv"]));
    assert!(
        listed.contains("ledger_rows,view,v1,v1,Ledger rows per fund."),
        "{listed}"
    );
}

#[test]
fn names_resolve_to_the_latest_version_or_a_pinned_one() {
    let p = Project::new();
    p.write(
        "sql/views/budget_execution/v2.sql",
        "-- v2 for the test.\nSELECT 'second' AS marker",
    );
    assert_eq!(
        ok(p.run(&["run", "budget_execution", "--format", "csv"])),
        "marker\nsecond\n"
    );
    let v1 = ok(p.run(&["run", "budget_execution@v1", "--format", "csv"]));
    assert!(v1.starts_with("region_code,year,fund_code"), "{v1}");
    // Inside SQL: `name_vN` pins, plain `name` is the latest.
    let pinned = ok(p.run(&[
        "sql",
        "SELECT count(*) AS n FROM budget_execution_v1 WHERE item_code = 'interest' AND year = 2022",
        "--format",
        "csv",
    ]));
    // interest is a top-level item of enterprise, resident and public pension and work injury
    assert_eq!(pinned, "n\n4\n");
    let (code, _, err) = p.run(&["run", "budget_execution@v7"]);
    assert_eq!(code, 1);
    assert!(err.contains("has no version v7 (it has v1, v2)"), "{err}");
    let (code, _, err) = p.run(&["run", "budget_execution@7"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_missing_table_makes_only_its_views_unavailable() {
    let p = Project::new();
    for table in ["headcount", "benefit_standard"] {
        std::fs::remove_dir_all(p.data().join(table)).unwrap();
    }
    ok(p.run(&["run", "budget_execution"]));
    ok(p.run(&["run", "yoy_growth"]));
    let (code, _, err) = p.run(&["run", "headcount_growth"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("view `headcount_growth@v1` is unavailable"),
        "{err}"
    );
    assert!(err.contains("`headcount`"), "{err}");
    assert!(err.contains("headcount_growth/v1.sql:"), "{err}");
}

#[test]
fn cycles_and_unknown_references_are_reported_by_file_and_line() {
    let p = Project::new();
    p.write("sql/views/a/v1.sql", "-- a\nSELECT *\nFROM b");
    p.write("sql/views/b/v1.sql", "-- b\nSELECT * FROM a");
    let (code, _, err) = p.run(&["run", "a"]);
    assert_eq!(code, 1);
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("a/v1.sql:3"), "{err}");
    // Other views are unaffected.
    ok(p.run(&["run", "fund_balance"]));

    p.write("sql/views/c/v1.sql", "-- c\nSELECT *\n  FROM ledgr");
    let (code, _, err) = p.run(&["run", "c"]);
    assert_eq!(code, 1);
    assert!(err.contains("c/v1.sql:3"), "{err}");
    assert!(err.contains("did you mean `ledger`"), "{err}");
}

#[test]
fn sql_errors_point_at_the_view_file_and_line() {
    let p = Project::new();
    p.write(
        "sql/views/broken/v1.sql",
        "-- broken\nSELECT fund_code\nFROM ledger\nWHERE year = = 2",
    );
    let (code, _, err) = p.run(&["run", "broken"]);
    assert_eq!(code, 1);
    assert!(err.contains("broken/v1.sql:4"), "{err}");

    p.write(
        "sql/views/typo/v1.sql",
        "-- typo\nSELECT fund_code,\n       amount_yuna\nFROM ledger",
    );
    let (code, _, err) = p.run(&["run", "typo"]);
    assert_eq!(code, 1);
    assert!(err.contains("typo/v1.sql:3"), "{err}");
    assert!(err.contains("amount_yuna"), "{err}");
}

#[test]
fn unknown_names_suggest_the_closest_and_usage_errors_exit_2() {
    let (code, _, err) = sample(&["run", "budget_exec"]);
    assert_eq!(code, 1);
    // The catalog has budget_execution and budget_execution_rollup: both are suggested, closest
    // first (then budget_basis, the helper).
    assert!(
        err.contains("did you mean one of: `budget_execution`, `budget_execution_rollup`"),
        "{err}"
    );
    let (code, _, _) = sample(&["run"]);
    assert_eq!(code, 2);
    let (code, _, _) = sample(&["run", "budget_execution", "--format", "xml"]);
    assert_eq!(code, 2);
    let (code, _, err) = fundq(Path::new("/nonexistent"), &root().join("sql"), &["views"]);
    assert_eq!(code, 2);
    assert!(err.contains("FUNDQ_DATA"), "{err}");
    let (code, _, err) = sample(&["sql", "DROP TABLE ledger"]);
    assert_eq!(code, 1);
    assert!(err.contains("not supported"), "{err}");
}

#[test]
fn output_formats_agree() {
    let csv = ok(sample(&["run", "fund_balance", "--format", "csv"]));
    let json = ok(sample(&["run", "fund_balance", "--format", "json"]));
    let ndjson = ok(sample(&["run", "fund_balance", "--format", "ndjson"]));
    let rows = csv.lines().count() - 1;
    assert_eq!(ndjson.lines().count(), rows);
    assert!(
        json.starts_with('[') && json.contains(r#""balance_wan":-210.86"#),
        "{json}"
    );
    let table = ok(sample(&["run", "fund_balance"]));
    assert!(table.contains("机关事业单位养老保险"));

    let dir = tempfile::tempdir().unwrap();
    for format in ["parquet", "arrow"] {
        let file = dir.path().join(format!("out.{format}"));
        ok(sample(&[
            "run",
            "fund_balance",
            "--format",
            format,
            "--output",
            file.to_str().unwrap(),
        ]));
        let bytes = std::fs::read(&file).unwrap();
        let magic: &[u8] = if format == "parquet" {
            b"PAR1"
        } else {
            b"ARROW1"
        };
        assert!(bytes.starts_with(magic), "{format}");
        assert!(bytes.ends_with(magic), "{format}");
    }
}

/// The source CSVs imported into an empty data folder give the same tables as the sample.
#[test]
fn the_sample_rebuilds_from_its_source_csvs() {
    let fresh = tempfile::tempdir().unwrap();
    let data = fresh.path();
    let sql = root().join("sql");
    for (file, table) in [
        ("funds.csv", "fund"),
        ("items.csv", "item"),
        ("regions.csv", "region"),
        ("ledger.csv", "ledger"),
        ("ledger_period.csv", "ledger_period"),
        ("headcount.csv", "headcount"),
        ("benefit_standards.csv", "benefit_standard"),
    ] {
        let source = root().join("data").join(file);
        ok(fundq(
            data,
            &sql,
            &["import", source.to_str().unwrap(), "--table", table],
        ));
        let query = format!("SELECT * FROM {table}");
        let rebuilt = ok(fundq(data, &sql, &["sql", &query, "--format", "csv"]));
        let shipped = ok(sample(&["sql", &query, "--format", "csv"]));
        assert_eq!(sorted_csv(&rebuilt), sorted_csv(&shipped), "{table}");
    }
}

fn delta_log_files(table: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(table.join("_delta_log"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn invalid_rows_are_all_reported_and_nothing_is_written() {
    let p = Project::new();
    let before = delta_log_files(&p.data().join("ledger"));
    p.write(
        "bad.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640121,2023,work_injury,interest,actual,1.5,万元\n\
         640121,2023,work_injury,interest,actual,2,万元\n\
         640121,2023,work_injury,prevention,actual,12.3456789,万元\n\
         640121,2023,work_injury,benefit,actual,NaN,万元\n\
         640121,2023,work_injury,other_expense,actual,3,千元\n",
    );
    let file = p.dir.path().join("bad.csv");
    let (code, _, err) = p.run(&["import", file.to_str().unwrap(), "--table", "ledger"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("row 4, column amount: `12.3456789` has more than 2 decimals"),
        "{err}"
    );
    assert!(
        err.contains("row 5, column amount: `NaN` is not an amount"),
        "{err}"
    );
    assert!(
        err.contains("row 6, column amount: `3` has unknown unit `千元`"),
        "{err}"
    );
    assert!(
        err.contains(
            "row 3: key (region_code, year, fund_code, item_code, scenario) repeats row 2"
        ),
        "{err}"
    );
    assert_eq!(delta_log_files(&p.data().join("ledger")), before);

    // A key that is already stored is refused in append mode.
    p.write(
        "again.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n640121,2022,work_injury,interest,actual,3.79,万元\n",
    );
    let file = p.dir.path().join("again.csv");
    let (code, _, err) = p.run(&["import", file.to_str().unwrap(), "--table", "ledger"]);
    assert_eq!(code, 1);
    assert!(err.contains("already stored"), "{err}");
    assert_eq!(delta_log_files(&p.data().join("ledger")), before);
}

#[test]
fn replace_swaps_a_slice_keeps_history_and_as_of_reproduces() {
    let p = Project::new();
    let original = ok(p.run(&["run", "budget_execution", "--format", "csv"]));
    // Correct the 2022 work-injury actuals: a slice is (region, year, scenario), so this file
    // replaces every 2022 actual row of the region, of every fund.
    p.write(
        "fix.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n640121,2022,work_injury,interest,actual,4.00,万元\n",
    );
    let file = p.dir.path().join("fix.csv");
    ok(p.run(&[
        "import",
        file.to_str().unwrap(),
        "--table",
        "ledger",
        "--mode",
        "replace",
    ]));
    let counts = ok(p.run(&[
        "sql",
        "SELECT scenario, year, count(*) AS n FROM ledger GROUP BY scenario, year ORDER BY year, scenario",
        "--format",
        "csv",
    ]));
    // From ledger.csv: 2021 actual 37 rows, 2022 budget 34 rows (untouched); 2022 actual now 1.
    assert_eq!(
        counts,
        "scenario,year,n\nactual,2021,37\nactual,2022,1\nbudget,2022,34\n"
    );
    let history = ok(p.run(&["history", "ledger", "--format", "csv"]));
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 3, "{history}");
    assert!(
        lines[1].starts_with("1,") && lines[1].contains("fix.csv"),
        "{history}"
    );
    assert!(
        lines[2].starts_with("0,") && lines[2].contains("ledger.csv"),
        "{history}"
    );
    let as_of = ok(p.run(&["run", "budget_execution", "--as-of", "0", "--format", "csv"]));
    assert_eq!(as_of, original);
}

#[test]
fn gbk_files_are_read_like_utf8_ones() {
    let p = Project::new();
    // 工伤保险 in GBK: B9A4 C9CB B1A3 CFD5 (GB2312 code table).
    let mut bytes = b"fund_code,name_zh,name_en,sort_order\nunemployment,".to_vec();
    bytes.extend([0xB9, 0xA4, 0xC9, 0xCB, 0xB1, 0xA3, 0xCF, 0xD5]);
    bytes.extend(b",Test fund,9\n");
    let file = p.dir.path().join("gbk.csv");
    std::fs::write(&file, bytes).unwrap();
    ok(p.run(&["import", file.to_str().unwrap(), "--table", "fund"]));
    let out = ok(p.run(&[
        "sql",
        "SELECT name_zh FROM fund WHERE fund_code = 'unemployment'",
        "--format",
        "csv",
    ]));
    assert_eq!(out, "name_zh\n工伤保险\n");

    std::fs::write(&file, [0x00, 0xFF, 0xFE, 0x81, 0x00, 0x30]).unwrap();
    let (code, _, err) = p.run(&["import", file.to_str().unwrap(), "--table", "fund"]);
    assert_eq!(code, 1);
    assert!(err.contains("neither UTF-8 nor GBK"), "{err}");
}

#[test]
fn a_new_fund_is_data_not_code() {
    let p = Project::new();
    let import = |name: &str, table: &str, text: &str| {
        p.write(name, text);
        let file = p.dir.path().join(name);
        ok(p.run(&["import", file.to_str().unwrap(), "--table", table]));
    };
    import(
        "f.csv",
        "fund",
        "fund_code,name_zh,name_en,sort_order\nunemployment,失业保险,Unemployment insurance,5\n",
    );
    import(
        "i.csv",
        "item",
        "fund_code,item_code,name_zh,direction,parent_code,of_which,category,memo,sort_order\n\
         unemployment,contribution,失业保险费收入,income,,false,contribution,false,1\n\
         unemployment,benefit,失业保险金支出,expense,,false,benefit,false,10\n",
    );
    import(
        "l.csv",
        "ledger",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640121,2022,unemployment,contribution,budget,300,万元\n\
         640121,2022,unemployment,contribution,actual,312.5,万元\n\
         640121,2022,unemployment,benefit,budget,200,万元\n",
    );
    let out = ok(p.run(&[
        "run",
        "budget_execution",
        "--filter",
        "fund_code=unemployment",
        "--format",
        "csv",
    ]));
    // contribution: 312.5 / 300 × 100 = 104.1666… → 104.17; benefit has no actual: NULL rate;
    // totals: income as contribution; expense budget 200, actual NULL.
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(
        rows,
        [
            "640121,2022,unemployment,失业保险,income,contribution,失业保险费收入,300.00,312.50,104.17,12.50,false",
            "640121,2022,unemployment,失业保险,income,total,总收入,300.00,312.50,104.17,12.50,false",
            "640121,2022,unemployment,失业保险,expense,benefit,失业保险金支出,200.00,,,,false",
            "640121,2022,unemployment,失业保险,expense,total,总支出,200.00,,,,false",
        ]
    );
}

/// Binary formats refuse a terminal; `script` (util-linux) gives the command a real pty.
#[test]
fn binary_formats_refuse_to_write_to_a_terminal() {
    let binary = assert_cmd::cargo::cargo_bin("fundq");
    let command = format!(
        "{} --data {} --sql {} run fund_balance --format parquet; echo exit=$?",
        binary.display(),
        root().join("data").display(),
        root().join("sql").display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux `script` is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("refusing to write Parquet (binary) to a terminal"),
        "{text}"
    );
    assert!(text.contains("exit=2"), "{text}");
    assert!(!text.contains("PAR1"), "{text}");
}

/// Rules in sql/import/<table>/ check the rows against the dimensions; type errors and rule
/// findings are reported together.
#[test]
fn import_rules_check_codes_scenarios_and_counts() {
    let p = Project::new();
    let before = delta_log_files(&p.data().join("ledger"));
    p.write(
        "codes.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640199,2023,work_injury,interest,actual,1,万元\n\
         640121,2023,unemployment,interest,actual,1,万元\n\
         640121,2023,work_injury,intrest,actual,1,万元\n\
         640121,2023,work_injury,prevention,forecast,1,万元\n\
         640121,1899,work_injury,benefit,actual,1,万元\n\
         640121,2023,work_injury,other_expense,actual,x,万元\n",
    );
    let file = p.dir.path().join("codes.csv");
    let (code, _, err) = p.run(&["import", file.to_str().unwrap(), "--table", "ledger"]);
    assert_eq!(code, 1);
    for expected in [
        "row 2, column region_code: `640199` is not a region_code",
        "row 3, column fund_code: `unemployment` is not a fund_code",
        "row 4, column item_code: `intrest` is not an item of fund work_injury",
        "row 5, column scenario: `forecast` is not a scenario",
        "row 6, column year: `1899` is out of range",
        "row 7, column amount: `x` is not an amount",
        "row 3, column item_code: `interest` is not an item of fund unemployment",
        "7 problem(s)",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in {err}");
    }
    assert_eq!(delta_log_files(&p.data().join("ledger")), before);

    p.write(
        "persons.csv",
        "region_code,year,fund_code,measure,breakdown,member,scenario,persons\n\
         640121,2023,work_injury,insured,total,all,actual,-5\n\
         640121,2023,work_injury,retired,total,all,actual,2.5\n",
    );
    let file = p.dir.path().join("persons.csv");
    let (code, _, err) = p.run(&["import", file.to_str().unwrap(), "--table", "headcount"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("row 2, column persons: `-5` is negative"),
        "{err}"
    );
    assert!(
        err.contains("row 3, column persons: `2.5` is not a whole number"),
        "{err}"
    );
}

/// Parquet output of an aggregate whose decimal DataFusion widens while executing (`SUM` beside
/// `COUNT(DISTINCT …)`): the file must be written with the plan's types and exact values.
/// Expected sums are taken straight from `data/ledger.csv` in exact cents.
#[test]
fn parquet_output_keeps_exact_sums_when_the_engine_widens_a_decimal() {
    use datafusion::arrow::array::{Array, Decimal128Array, Int64Array, StringViewArray};
    use datafusion::arrow::datatypes::DataType;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::collections::{BTreeMap, BTreeSet};

    let mut expected: BTreeMap<String, (i128, BTreeSet<String>)> = BTreeMap::new();
    let csv = std::fs::read_to_string(root().join("data/ledger.csv")).unwrap();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] != "2022" || f[4] != "actual" {
            continue;
        }
        let (whole, fraction) = f[5].split_once('.').unwrap_or((f[5], ""));
        let cents = whole.parse::<i128>().unwrap() * 100
            + format!("{fraction:0<2}").parse::<i128>().unwrap();
        let per_unit = match f[6] {
            "万元" => 10_000,
            "元" => 1,
            other => panic!("unit {other} in ledger.csv"),
        };
        let entry = expected.entry(f[2].to_string()).or_default();
        entry.0 += cents * per_unit;
        entry.1.insert(f[3].to_string());
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sums.parquet");
    ok(sample(&[
        "sql",
        "SELECT fund_code, SUM(amount_yuan) AS total_yuan, COUNT(DISTINCT item_code) AS items \
         FROM ledger WHERE year = 2022 AND scenario = 'actual' GROUP BY fund_code",
        "--format",
        "parquet",
        "--output",
        file.to_str().unwrap(),
    ]));
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut found = BTreeMap::new();
    for batch in reader {
        let batch = batch.unwrap();
        assert!(matches!(
            batch.schema().field(1).data_type(),
            DataType::Decimal128(_, 2)
        ));
        let funds = batch.column(0).as_any().downcast_ref::<StringViewArray>();
        let funds: Vec<String> = match funds {
            Some(f) => (0..f.len()).map(|i| f.value(i).to_string()).collect(),
            None => panic!("fund_code is {:?}", batch.schema().field(0)),
        };
        let sums = batch
            .column(1)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        let items = batch
            .column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        for (i, fund) in funds.into_iter().enumerate() {
            found.insert(fund, (sums.value(i), items.value(i) as usize));
        }
    }
    let expected: BTreeMap<String, (i128, usize)> = expected
        .into_iter()
        .map(|(fund, (cents, items))| (fund, (cents, items.len())))
        .collect();
    assert_eq!(found, expected);
}
