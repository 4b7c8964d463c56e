//! `fundq check` and `fundq audit`: every rule and every class on small hand-made cases, and the
//! real disagreements of the seed report. Expected figures are computed by hand in the comments
//! from `data/*.csv` (the reference CSVs) and the seed report's text, never taken from fundq.

use crate::common::{Project, ok, root, sample};

/// The data rows of CSV output as vectors of fields (header dropped).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Check findings as (severity, rule, year, fund, item, message).
fn check_rows(output: &str) -> Vec<[String; 6]> {
    csv_rows(output)
        .into_iter()
        .map(|r| {
            [
                r[0].clone(),
                r[1].clone(),
                r[3].clone(),
                r[4].clone(),
                r[5].clone(),
                r[6].clone(),
            ]
        })
        .collect()
}

fn find<'a>(rows: &'a [[String; 6]], rule: &str, fund: &str, item: &str) -> &'a [String; 6] {
    rows.iter()
        .find(|r| r[1] == rule && r[3] == fund && r[4] == item)
        .unwrap_or_else(|| panic!("no {rule} finding for {fund}/{item} in {rows:#?}"))
}

#[test]
fn check_on_the_sample_finds_the_work_injury_benefit_breakdown_gap() {
    let (code, out, err) = sample(&["check", "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("1 error(s), 2 warning(s)"), "{err}");
    let rows = check_rows(&out);
    // The report's 工伤保险待遇支出 is 1101.43 万元, but the breakdown it lists (seed line 695)
    // is 176.96 + 0 + 508.77 + 43.46 + 18.56 + 114.66 + 5.09 + 21.90 + 0 = 889.40 万元
    // (医疗费即时结算 124.65 is a 其中 of 工伤医疗费 and is not added): 212.03 万元 apart.
    let benefit = find(&rows, "children_sum_to_parent", "work_injury", "benefit");
    assert_eq!(benefit[0], "error");
    assert_eq!(benefit[2], "2022");
    for figure in ["1101.43", "9 stated children", "889.40", "212.03"] {
        assert!(benefit[5].contains(figure), "{benefit:?}");
    }
    // ledger.csv, work injury 2022: actuals for fiscal_subsidy (0) and other_expense (0), the
    // only top-level items with an actual and no budget; every budgeted item has an actual.
    let mut warnings: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r[0] == "warning")
        .map(|r| (r[1].as_str(), r[4].as_str()))
        .collect();
    warnings.sort();
    assert_eq!(
        warnings,
        [
            ("budget_without_actual", "fiscal_subsidy"),
            ("budget_without_actual", "other_expense")
        ]
    );
    // 工伤保险费收入: actual 1011.68 / budget 864.31 × 100 = 117.05 % (|117.05 − 100| ≥ 10).
    let contribution = rows
        .iter()
        .find(|r| {
            r[1] == "variance_needs_explanation"
                && r[3] == "work_injury"
                && r[4] == "contribution"
                && r[5].contains("execution rate")
        })
        .expect("work injury contribution variance");
    assert_eq!(contribution[0], "info");
    assert!(contribution[5].contains("117.05%"), "{contribution:?}");
    assert!(contribution[5].contains("needs an explanation"));
    // 利息收入 of enterprise pensions: 2206.40 / 2260 = 97.63 %, within 10 of 100: no flag.
    assert!(!rows.iter().any(|r| {
        r[1] == "variance_needs_explanation"
            && r[3] == "enterprise_pension"
            && r[4] == "interest"
            && r[5].contains("execution rate")
    }));
    // The shipped lock file matches every view file.
    assert!(!rows.iter().any(|r| r[1] == "view_lock"), "{rows:#?}");
}

#[test]
fn each_rule_finds_its_violation_in_hand_made_rows() {
    let p = Project::new();
    p.write(
        "extra_ledger.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640121,2021,work_injury,medical,actual,10,万元\n\
         640121,2021,work_injury,medical_instant_settlement,actual,20,万元\n\
         640121,2020,enterprise_pension,other_income,actual,-5,万元\n",
    );
    ok(p.run(&["import", &p.file("extra_ledger.csv"), "--table", "ledger"]));
    p.write(
        "extra_headcount.csv",
        "region_code,year,fund_code,measure,breakdown,member,scenario,persons\n\
         640121,2021,enterprise_pension,insured,total,all,actual,70000\n\
         640121,2021,work_injury,beneficiaries,benefit_type,disability,actual,100\n\
         640121,2021,work_injury,beneficiaries,benefit_type,death,actual,20\n",
    );
    ok(p.run(&[
        "import",
        &p.file("extra_headcount.csv"),
        "--table",
        "headcount",
    ]));
    p.write(
        "opening_item.csv",
        "fund_code,item_code,name_zh,direction,parent_code,of_which,category,memo,sort_order\n\
         public_pension,opening_balance,年初结余,balance,,false,balance,false,39\n",
    );
    ok(p.run(&["import", &p.file("opening_item.csv"), "--table", "item"]));
    p.write(
        "opening.csv",
        "region_code,year,fund_code,item_code,scenario,amount,unit\n\
         640121,2022,public_pension,opening_balance,actual,3000,万元\n",
    );
    ok(p.run(&["import", &p.file("opening.csv"), "--table", "ledger"]));
    p.write(
        "note.csv",
        "region_code,year,fund_code,item_code,text\n\
         640121,2022,work_injury,contribution,项目参保增加\n",
    );
    ok(p.run(&["import", &p.file("note.csv"), "--table", "note"]));
    // A stricter reserve for public pensions, as a new version of the thresholds view.
    let thresholds = std::fs::read_to_string(p.sql().join("views/check_threshold/v1.sql"))
        .unwrap()
        .replace(
            "('enterprise_pension', 10.00, 10.00, 10.00, 2.00)",
            "('enterprise_pension', 10.00, 10.00, 10.00, 2.00),\n        ('public_pension', 10.00, 10.00, 10.00, 8.00)",
        );
    p.write("sql/views/check_threshold/v2.sql", &thresholds);

    let (code, out, err) = p.run(&["check", "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    let rows = check_rows(&out);

    // 2021 work injury: the new 其中 item (20) exceeds its parent 工伤医疗费 (10).
    let part = find(
        &rows,
        "part_exceeds_parent",
        "work_injury",
        "medical_instant_settlement",
    );
    assert!(
        part[5].contains("20.00") && part[5].contains("10.00"),
        "{part:?}"
    );
    // 2021 工伤保险待遇支出 819.93 now has one stated child, 工伤医疗费 10.
    let parent = rows
        .iter()
        .find(|r| r[1] == "children_sum_to_parent" && r[2] == "2021")
        .expect("2021 benefit breakdown");
    assert!(
        parent[5].contains("819.93") && parent[5].contains("809.93"),
        "{parent:?}"
    );
    // A negative 其他收入.
    let negative = find(
        &rows,
        "suspicious_negative",
        "enterprise_pension",
        "other_income",
    );
    assert_eq!(negative[0], "warning");
    assert!(negative[5].contains("-5.00"), "{negative:?}");
    // 2021 enterprise pensions: active 53423 + retired 16662 = 70085, insured stated 70000.
    let insured = find(
        &rows,
        "active_plus_retired",
        "enterprise_pension",
        "insured",
    );
    assert!(
        insured[5].contains("70085") && insured[5].contains("70000"),
        "{insured:?}"
    );
    // 2021 work injury beneficiaries: 100 + 20 = 120 by benefit type, 123 in total.
    let breakdown = find(
        &rows,
        "breakdown_sums_to_total",
        "work_injury",
        "beneficiaries:benefit_type",
    );
    assert!(
        breakdown[5].contains("120") && breakdown[5].contains("123"),
        "{breakdown:?}"
    );
    // Public pensions 2022: opening 3000 + income 26241.06 − expense 18377.95 = 10863.11,
    // closing balance 10910.47.
    let balance = find(
        &rows,
        "balance_identity",
        "public_pension",
        "closing_balance",
    );
    assert!(
        balance[5].contains("10863.11") && balance[5].contains("10910.47"),
        "{balance:?}"
    );
    // 10910.47 × 12 / 18377.95 = 7.12 months, below the 8 of check_threshold v2.
    let reserve = find(&rows, "reserve_months", "public_pension", "closing_balance");
    assert_eq!(reserve[0], "warning");
    assert!(
        reserve[5].contains("7.12") && reserve[5].contains("8.00"),
        "{reserve:?}"
    );
    // The explained variance says so.
    let explained = rows
        .iter()
        .find(|r| {
            r[1] == "variance_needs_explanation"
                && r[3] == "work_injury"
                && r[4] == "contribution"
                && r[5].contains("execution rate")
        })
        .unwrap();
    assert!(
        explained[5].contains("explained in the note table"),
        "{explained:?}"
    );
    // The new threshold version is not locked yet: information, not an error.
    let unlocked = rows
        .iter()
        .find(|r| r[1] == "view_lock")
        .expect("unlocked v2");
    assert_eq!(unlocked[0], "info");
    assert!(unlocked[5].contains("check_threshold@v2"), "{unlocked:?}");
}

#[test]
fn duplicate_keys_in_a_plain_parquet_ledger_are_errors() {
    let p = Project::new();
    // A ledger written by another tool: the Delta ledger plus a second copy of one row, as
    // plain Parquet (fundq's own import refuses duplicates, so this is the way they arrive).
    let parquet = p.dir.path().join("ledger.parquet");
    ok(p.run(&[
        "sql",
        "SELECT * FROM ledger UNION ALL SELECT * FROM ledger \
         WHERE fund_code = 'public_pension' AND item_code = 'interest' AND year = 2022 \
         AND scenario = 'actual'",
        "--format",
        "parquet",
        "--output",
        parquet.to_str().unwrap(),
    ]));
    std::fs::remove_dir_all(p.data().join("ledger")).unwrap();
    std::fs::create_dir(p.data().join("ledger")).unwrap();
    std::fs::rename(&parquet, p.data().join("ledger/part-0.parquet")).unwrap();
    let (code, out, _) = p.run(&["check", "--format", "csv"]);
    assert_eq!(code, 1);
    let rows = check_rows(&out);
    let duplicate = find(&rows, "duplicate_key", "public_pension", "interest");
    assert_eq!(duplicate[2], "2022");
    assert!(
        duplicate[5].contains("actual: stated 2 times"),
        "{duplicate:?}"
    );
    assert_eq!(rows.iter().filter(|r| r[1] == "duplicate_key").count(), 1);
}

#[test]
fn the_catalog_is_checked_and_published_versions_cannot_change() {
    let p = Project::new();
    let v1 = p.sql().join("views/yoy_growth/v1.sql");
    let original = std::fs::read_to_string(&v1).unwrap();

    // Editing a locked (published) version is an error, and `views --lock` refuses to bless it.
    std::fs::write(&v1, format!("{original}\n-- an edit\n")).unwrap();
    let (code, out, _) = p.run(&["check", "--format", "csv"]);
    assert_eq!(code, 1);
    let rows = check_rows(&out);
    let lock = rows
        .iter()
        .find(|r| r[1] == "view_lock")
        .expect("lock finding");
    assert_eq!(lock[0], "error");
    assert!(
        lock[5].contains("yoy_growth@v1") && lock[5].contains("changed"),
        "{lock:?}"
    );
    let (code, _, err) = p.run(&["views", "--lock"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("yoy_growth/v1.sql"), "{err}");

    // Restored, plus a new version: information until it is locked, then nothing.
    std::fs::write(&v1, &original).unwrap();
    p.write(
        "sql/views/yoy_growth/v2.sql",
        &original.replacen("-- Year-over-year", "-- Year over year", 1),
    );
    let (_, out, _) = p.run(&["check", "--format", "csv"]);
    let rows = check_rows(&out);
    let new = rows
        .iter()
        .find(|r| r[1] == "view_lock")
        .expect("unlocked v2");
    assert_eq!(new[0], "info");
    assert!(new[5].contains("yoy_growth@v2"), "{new:?}");
    ok(p.run(&["views", "--lock"]));
    let lock_file = std::fs::read_to_string(p.sql().join("views.lock")).unwrap();
    assert!(lock_file.contains("\nyoy_growth,v2,"), "{lock_file}");
    let (_, out, _) = p.run(&["check", "--format", "csv"]);
    assert!(!check_rows(&out).iter().any(|r| r[1] == "view_lock"));

    // A view that does not plan, and a rule that lacks columns, are errors naming their file.
    p.write(
        "sql/views/broken/v1.sql",
        "-- broken\nSELECT no_such_column\nFROM ledger",
    );
    p.write(
        "sql/checks/half_a_rule.sql",
        "-- a rule\nSELECT 1 AS severity",
    );
    let (code, out, _) = p.run(&["check", "--format", "csv"]);
    assert_eq!(code, 1);
    let rows = check_rows(&out);
    let broken = rows.iter().find(|r| r[1] == "view_plans").unwrap();
    assert!(broken[5].contains("broken/v1.sql:2"), "{broken:?}");
    let rule = rows.iter().find(|r| r[1] == "half_a_rule").unwrap();
    assert_eq!(rule[0], "error");
    assert!(rule[5].contains("half_a_rule.sql") && rule[5].contains("missing: region_code"));
}

/// Audit findings as (fund, table, item, measure, stated, computed, class).
fn audit_rows(output: &str) -> Vec<[String; 7]> {
    csv_rows(output)
        .into_iter()
        .map(|r| std::array::from_fn(|i| r[i].clone()))
        .collect()
}

fn row(fields: [&str; 7]) -> [String; 7] {
    fields.map(str::to_string)
}

#[test]
fn audit_finds_the_seed_reports_mistakes() {
    let (code, out, err) = sample(&["audit", "data/report_tables.csv", "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("fund_code,table,item,measure,stated,computed,class\n"),
        "{out}"
    );
    let rows = audit_rows(&out);
    let mut serious: Vec<[String; 7]> = rows
        .iter()
        .filter(|r| r[6] != "rounding" && r[6] != "zero-base")
        .cloned()
        .collect();
    serious.sort();
    let mut expected = vec![
        // Seed line 190: 利息收入 2206.40 万元; with 转移收入 1003.10, 上级补助收入 52985.97 and
        // 其他收入 62.28 the income total is 56257.75, the table prints 56257.25 (twice).
        row([
            "enterprise_pension",
            "budget_execution_income",
            "total",
            "actual",
            "56257.25",
            "56257.75",
            "total",
        ]),
        row([
            "enterprise_pension",
            "yoy_income",
            "total",
            "current",
            "56257.25",
            "56257.75",
            "total",
        ]),
        // Resident pensions' budget items: 2457.42 + 7270 + 235.85 + 34 + 0 = 9997.27, the
        // table's total says 10262.62; its rate 10758.25 / 10262.62 = 104.83 follows the wrong
        // total, the ledger gives 10758.25 / 9997.27 = 107.61.
        row([
            "resident_pension",
            "budget_execution_income",
            "total",
            "budget",
            "10262.62",
            "9997.27",
            "total",
        ]),
        row([
            "resident_pension",
            "budget_execution_income",
            "total",
            "execution_rate",
            "104.83",
            "107.61",
            "value",
        ]),
        // 2021 resident income: 3174.16 + 7397.59 + 470.37 + 29.77 + 0 = 11071.89, printed
        // 11272.47; the printed growth 4.56 follows from neither (its own amounts give
        // (10758.25 − 11272.47) / 11272.47 = −4.56, the ledger −2.83).
        row([
            "resident_pension",
            "yoy_income",
            "total",
            "previous",
            "11272.47",
            "11071.89",
            "total",
        ]),
        row([
            "resident_pension",
            "yoy_income",
            "total",
            "growth",
            "4.56",
            "-2.83",
            "total",
        ]),
        // 转移支出 1.76 against 11.27: (1.76 − 11.27) / 11.27 = −84.38 %, printed −84.41.
        row([
            "resident_pension",
            "yoy_expense",
            "transfer_out",
            "growth",
            "-84.41",
            "-84.38",
            "value",
        ]),
        // Work injury 利息收入 3.79 / 4.15 = 91.33 %, printed 91.28.
        row([
            "work_injury",
            "budget_execution_income",
            "interest",
            "execution_rate",
            "91.28",
            "91.33",
            "value",
        ]),
        // Seed line 549: 个体工商户 99 of 45040 insured is 0.22 %, printed 0.02 %.
        row([
            "work_injury",
            "headcount_share",
            "insured:unit_type=individual_business",
            "share",
            "0.02",
            "0.22",
            "value",
        ]),
        // Seed line 544: 保险费收入 14631.43 − 养老金支出 18375.20 = −3743.77, printed as 3743.77.
        row([
            "public_pension",
            "fund_operation",
            "contribution_minus_pension",
            "actual",
            "3743.77",
            "-3743.77",
            "sign",
        ]),
        // The ledger has no 2021 count of resident contributors, so the 2021 figure per
        // contributor (788.49) and its growth cannot be recomputed.
        row([
            "resident_pension",
            "per_capita",
            "contribution_per_contributor",
            "previous",
            "788.49",
            "",
            "not-computable",
        ]),
        row([
            "resident_pension",
            "per_capita",
            "contribution_per_contributor",
            "growth",
            "-8.68",
            "",
            "not-computable",
        ]),
    ];
    expected.sort();
    assert_eq!(serious, expected);

    // Rates printed as 100 where the base (budget or previous year) is 0.
    let zero_base: Vec<_> = rows.iter().filter(|r| r[6] == "zero-base").collect();
    assert_eq!(zero_base.len(), 10, "{zero_base:#?}");
    assert!(zero_base.iter().all(|r| r[4] == "100" && r[5].is_empty()));

    // Rounding: 59297 / 53423 − 1 = 10.995 % → 11.00, printed 10.99; 企业利息收入 printed
    // 97.61 = 2206 / 2260 from the rounded 2206 (the ledger's 2206.40 gives 97.63).
    let rounding = |item: &str, measure: &str| {
        rows.iter()
            .any(|r| r[2] == item && r[3] == measure && r[6] == "rounding")
    };
    assert!(rounding("active", "growth"));
    assert!(rounding("interest", "execution_rate"));
    assert!(
        err.contains(
            "findings: 4 value, 5 total, 1 sign, 10 zero-base, 2 not-computable, 7 rounding"
        ),
        "{err}"
    );
}

#[test]
fn audit_classes_on_hand_made_figures() {
    let p = Project::new();
    let header = "region_code,year,fund_code,table,item,measure,value,unit\n";
    let figures = [
        // Work injury 工伤保险待遇支出 1101.43, printed negative.
        "640121,2022,work_injury,budget_execution_expense,benefit,actual,-1101.43,万元",
        // 3.79 / 4.15 = 91.325… → 91.33; 91.32 is one unit of the last digit away.
        "640121,2022,work_injury,budget_execution_income,interest,execution_rate,91.32,%",
        // Budget 0 and a rate of 100.
        "640121,2022,public_pension,budget_execution_income,other_income,budget,0,万元",
        "640121,2022,public_pension,budget_execution_income,other_income,execution_rate,100,%",
        // No such item.
        "640121,2022,work_injury,budget_execution_expense,no_such_item,actual,1,万元",
        // Expense items 1101.43 + 4.90 + 120.00 + 0.00 = 1226.33; the total says 1236.33.
        "640121,2022,work_injury,budget_execution_expense,prevention,actual,4.90,万元",
        "640121,2022,work_injury,budget_execution_expense,remit_to_higher,actual,120.00,万元",
        "640121,2022,work_injury,budget_execution_expense,other_expense,actual,0.00,万元",
        "640121,2022,work_injury,budget_execution_expense,total,actual,1236.33,万元",
        // Budget 4.15 printed as 5.15.
        "640121,2022,work_injury,budget_execution_income,interest,budget,5.15,万元",
        // 预防费 4.90 against 2.10: (4.90 − 2.10) / 2.10 = 133.33 %, printed 150.00.
        "640121,2022,work_injury,yoy_expense,prevention,current,4.90,万元",
        "640121,2022,work_injury,yoy_expense,prevention,previous,2.10,万元",
        "640121,2022,work_injury,yoy_expense,prevention,growth,150.00,%",
    ];
    p.write("stated.csv", &format!("{header}{}\n", figures.join("\n")));
    let (code, out, err) = p.run(&["audit", &p.file("stated.csv"), "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    let classes: Vec<(String, String, String)> = audit_rows(&out)
        .into_iter()
        .map(|r| (r[2].clone(), r[3].clone(), r[6].clone()))
        .collect();
    let expected = [
        ("benefit", "actual", "sign"),
        ("interest", "execution_rate", "rounding"),
        ("other_income", "execution_rate", "zero-base"),
        ("no_such_item", "actual", "not-computable"),
        ("total", "actual", "total"),
        ("interest", "budget", "value"),
        ("prevention", "growth", "total"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(classes, expected);

    // Only a rounding difference: listed, but the audit passes.
    p.write("rounding.csv", &format!("{header}{}\n", figures[1]));
    let (code, out, err) = p.run(&["audit", &p.file("rounding.csv"), "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(audit_rows(&out).len(), 1);

    // A malformed figure names its row and column.
    p.write(
        "bad.csv",
        &format!("{header}640121,2022,work_injury,yoy_expense,prevention,growth,abc,%\n"),
    );
    let (code, _, err) = p.run(&["audit", &p.file("bad.csv")]);
    assert_eq!(code, 1);
    assert!(err.contains("row 2, column value: `abc`"), "{err}");
}

/// `fundq check` runs the early-warning rules of sql/warnings/ as well, named by their file
/// (tests/fixtures/region_tree; figures from its ledger.csv, in 万元).
#[test]
fn check_reports_the_early_warnings_by_rule_file() {
    let fixture = root().join("tests/fixtures/region_tree");
    let (code, findings, _) =
        crate::common::fundq(&fixture, &root().join("sql"), &["check", "--format", "csv"]);
    assert_eq!(code, 0, "warnings alone do not fail the check: {findings}");
    // 贺兰县 enterprise pension: closing −150, expense 600: −150 × 12 / 600 = −3.00 months.
    assert!(findings.contains(
        "warning,warnings/months_covered,640122,2022,enterprise_pension,closing_balance,county 贺兰县: \
         closing balance -150.00 万元 covers -3.00 months"
    ), "{findings}");
    assert!(findings.contains("warning,warnings/negative_balance,640122,2022,enterprise_pension"));
    // 石嘴山市 unemployment: its one county 大武口区, closing 20, expense 30: 20 × 12 / 30 = 8.00.
    assert!(findings.contains(
        "warning,warnings/months_covered,640200,2022,unemployment,closing_balance,city 石嘴山市: \
         closing balance 20.00 万元 covers 8.00 months"
    ), "{findings}");
    // 石嘴山市 states work-injury contributions of 110 but its counties sum to 80 + 20 = 100.
    assert!(findings.contains(
        "warning,warnings/rollup_mismatch,640200,2022,work_injury,contribution,actual contribution: \
         stated 1100000.00 元 but its 2 child regions sum to 1000000.00 元"
    ), "{findings}");
}
