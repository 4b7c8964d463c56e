//! Periods of a year (`ledger_period`): importing monthly and quarterly files (long layout and a
//! period execution table), every bad input refused with its row and nothing written, the views
//! deriving amounts a file does not state, and `fundq report --period`.
//!
//! Expected values are computed by hand in the comments from the files written here and from
//! data/ledger.csv (the 2022 work-injury budgets).

use crate::common::{Project, ok, sample};

/// The rows stored in `ledger_period` for 2023, as CSV, in period and item order.
fn stored_2023(project: &Project) -> String {
    ok(project.run(&[
        "sql",
        "SELECT period, item_code, amount_yuan, cumulative_yuan FROM ledger_period \
         WHERE period LIKE '2023%' ORDER BY period, item_code",
        "--format",
        "csv",
    ]))
}

fn import(project: &Project, file: &str, extra: &[&str]) -> (i32, String, String) {
    let path = project.file(file);
    let mut args = vec!["import", path.as_str(), "--table", "ledger_period"];
    args.extend_from_slice(extra);
    project.run(&args)
}

#[test]
fn each_bad_period_input_is_refused_with_its_row_and_nothing_is_written() {
    let project = Project::new();
    let header = "region_code,period,fund_code,item_code,amount,cumulative,unit\n";
    // (file body, the row and words the error must name)
    let cases = [
        (
            "640121,2023-13,work_injury,interest,1,,万元\n",
            "row 2, column period: `2023-13` has a month out of range",
        ),
        (
            "640121,2023-Q5,work_injury,interest,1,,万元\n",
            "row 2, column period: `2023-Q5` has a quarter out of range",
        ),
        (
            "640121,2023/09,work_injury,interest,1,,万元\n",
            "row 2, column period: `2023/09` is not a period",
        ),
        // 1–2月 cumulative 150 万元, 1–3月 140: decreases.
        (
            "640121,2023-02,work_injury,contribution,,150,万元\n\
             640121,2023-03,work_injury,contribution,,140,万元\n",
            "row 3, column cumulative_yuan: `1400000.00` is less than the cumulative 1500000.00 \
             yuan up to 2023-02 (row 2)",
        ),
        // Months 80 + 70 + 60 = 210 万元 = 2100000 yuan, the quarter says 200.
        (
            "640121,2023-01,work_injury,contribution,80,,万元\n\
             640121,2023-02,work_injury,contribution,70,,万元\n\
             640121,2023-03,work_injury,contribution,60,,万元\n\
             640121,2023-Q1,work_injury,contribution,200,,万元\n",
            "row 5, column amount_yuan: `2000000.00` is not the sum of its months 2023-01, \
             2023-02, 2023-03 (2100000.00 yuan)",
        ),
        // Cumulative 150 at February and 230 at March, but March's amount is 70, not 80.
        (
            "640121,2023-02,work_injury,contribution,70,150,万元\n\
             640121,2023-03,work_injury,contribution,70,230,万元\n",
            "row 3, column amount_yuan: `700000.00` is not its cumulative 2300000.00 yuan less \
             the 1500000.00 yuan up to 2023-02 (800000.00 yuan)",
        ),
        (
            "640121,2023-04,work_injury,interest,,,万元\n",
            "row 2, column amount_yuan: `` is empty and so is cumulative_yuan",
        ),
        (
            "640121,2023-04,work_injury,no_such_item,1,,万元\n",
            "row 2, column item_code",
        ),
    ];
    let before = stored_2023(&project);
    for (body, expected) in cases {
        project.write("bad.csv", &format!("{header}{body}"));
        let (code, _, stderr) = import(&project, "bad.csv", &[]);
        assert_eq!(code, 1, "{body}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{body}: expected `{expected}` in\n{stderr}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert_eq!(stored_2023(&project), before, "{body}: the table changed");
    }
}

#[test]
fn a_cumulative_out_of_order_with_a_stored_one_is_refused() {
    let project = Project::new();
    // Stored (data/ledger_period.csv): 2022 contributions cumulative 222.57 万元 at Q1 and
    // 475.49 at Q2. 480 at May (before June's 475.49) and 200 at April (after March's 222.57)
    // both break the order; 300 at April is fine.
    project.write(
        "months.csv",
        "region_code,period,fund_code,item_code,cumulative,unit\n\
         640121,2022-05,work_injury,contribution,480,万元\n\
         640121,2022-04,work_injury,contribution,200,万元\n",
    );
    let (code, _, stderr) = import(&project, "months.csv", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "row 2, column cumulative_yuan: `4800000.00` is more than the cumulative 4754900.00 \
             yuan up to 2022-Q2 (stored), a later period"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "row 3, column cumulative_yuan: `2000000.00` is less than the cumulative 2225700.00 \
             yuan up to 2022-Q1 (stored)"
        ),
        "{stderr}"
    );
    project.write(
        "april.csv",
        "region_code,period,fund_code,item_code,cumulative,unit\n\
         640121,2022-04,work_injury,contribution,300,万元\n",
    );
    ok(import(&project, "april.csv", &[]));
}

#[test]
fn monthly_amounts_give_cumulative_figures_and_quarters() {
    let project = Project::new();
    // Contributions of 2023 by month, in 万元: 80, 70, 60 | 90, 85, 75 | 80, 90, 95.
    project.write(
        "months.csv",
        "地区代码,期间,基金,项目,当期执行数,单位\n\
         640121,2023-01,工伤保险,工伤保险费收入,80,万元\n\
         640121,2023-02,工伤保险,工伤保险费收入,70,万元\n\
         640121,2023-03,工伤保险,工伤保险费收入,60,万元\n\
         640121,2023-04,工伤保险,工伤保险费收入,90,万元\n\
         640121,2023-05,工伤保险,工伤保险费收入,85,万元\n\
         640121,2023-06,工伤保险,工伤保险费收入,75,万元\n\
         640121,2023-07,工伤保险,工伤保险费收入,80,万元\n\
         640121,2023-08,工伤保险,工伤保险费收入,90,万元\n\
         640121,2023-09,工伤保险,工伤保险费收入,95,万元\n",
    );
    ok(import(&project, "months.csv", &[]));
    let rows = ok(project.run(&[
        "sql",
        "SELECT period, period_actual_wan, cumulative_wan, previous_cumulative_wan, elapsed, \
         gap_points FROM period_execution WHERE year = 2023 AND item_code = 'contribution' \
         AND period IN ('2023-08', '2023-Q2', '2023-Q3') ORDER BY period",
        "--format",
        "csv",
    ]));
    // 2023-08: cumulative 80+70+60+90+85+75+80+90 = 630; elapsed 8/12 = 66.666… → 66.67; no
    //   2022-08 figure (2022 is quarterly), so no year-before figure. No 2023 budget: no progress.
    // 2023-Q2: 90+85+75 = 250, cumulative 460; 2022-Q2 cumulative 475.49; elapsed 50.00.
    // 2023-Q3: 80+90+95 = 265, cumulative 725; 2022-Q3 cumulative 718.29; elapsed 75.00.
    assert_eq!(
        rows,
        "period,period_actual_wan,cumulative_wan,previous_cumulative_wan,elapsed,gap_points\n\
         2023-08,90.00,630.00,,66.67,\n\
         2023-Q2,250.00,460.00,475.49,50.00,\n\
         2023-Q3,265.00,725.00,718.29,75.00,\n"
    );
}

#[test]
fn a_period_execution_table_imports_in_its_wide_layout() {
    let project = Project::new();
    // The columns of a 社预执行07表; budgets and rates are left out, the total row too.
    project.write(
        "q3.csv",
        "项目,年预算数,调整后预算数,当期执行数,累计执行数,上年同期累计执行数,预算执行进度(%),比上年同期增长(%)\n\
         工伤保险费收入,900,,250,720,700,80.00,2.86\n\
         利息收入,5,,0,2,2.5,40.00,-20.00\n\
         总收入,905,,250,722,702.5,79.78,2.78\n",
    );
    let (code, _, stderr) = import(
        &project,
        "q3.csv",
        &[
            "--layout",
            "wide",
            "--region",
            "640121",
            "--period",
            "2023-Q3",
            "--fund",
            "工伤保险",
            "--unit",
            "万元",
            "--mode",
            "replace",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("`年预算数` is a budget"), "{stderr}");
    assert!(stderr.contains("`总收入`) is a total"), "{stderr}");
    // 250 万元 = 2500000.00 yuan, 720 万元 = 7200000.00; interest 0 and 2 万元.
    assert_eq!(
        stored_2023(&project),
        "period,item_code,amount_yuan,cumulative_yuan\n\
         2023-Q3,contribution,2500000.00,7200000.00\n\
         2023-Q3,interest,0.00,20000.00\n"
    );
    // The 上年同期 column replaced the 2022-Q3 slice: 700 万元 and 2.5 万元, cumulative only
    // (each between the stored 2022-Q2 and 2022-Q4 figures: 475.49 ≤ 700 ≤ 1011.68 and
    // 1.90 ≤ 2.5 ≤ 3.79, so the order holds).
    let previous = ok(project.run(&[
        "sql",
        "SELECT item_code, amount_yuan, cumulative_yuan FROM ledger_period \
         WHERE period = '2022-Q3' ORDER BY item_code",
        "--format",
        "csv",
    ]));
    assert_eq!(
        previous,
        "item_code,amount_yuan,cumulative_yuan\n\
         contribution,,7000000.00\n\
         interest,,25000.00\n"
    );
}

#[test]
fn the_quarterly_report_shows_progress_against_elapsed_time() {
    let project = Project::new();
    let output = project.file("q3.md");
    ok(project.run(&[
        "report", "--region", "640121", "--period", "2022-Q3", "--format", "md", "--output",
        &output,
    ]));
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(
        text.contains("# 永宁县2022年第三季度（1–9月）社会保险基金预算执行情况分析"),
        "{text}"
    );
    // Two items lag elapsed time (75 %) by more than 5 points: interest (45.78) and prevention
    // (42.00); see tests/slt/period_execution.slt for the hand computation.
    assert!(text.contains("序时进度 75.00%"), "{text}");
    assert!(text.contains("低于序时进度超过阈值的项目 2 项"), "{text}");
    assert!(
        text.contains("| 利息收入 ※ | 4.15 | 0.00 | 1.90 | 1.46 | 45.78 | 30.14 | -29.22 |"),
        "{text}"
    );
    assert!(
        text.contains("预防费支出（预算执行进度 42.00%）：【待补充说明】"),
        "{text}"
    );
}

#[test]
fn an_unknown_period_is_a_usage_error_listing_the_periods() {
    let (code, _, stderr) = sample(&["report", "--region", "640121", "--period", "2022-07"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("2022-Q3"), "{stderr}");
    let (code, _, stderr) = sample(&["report", "--region", "640121", "--period", "2022-13"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("expected a month YYYY-MM"), "{stderr}");
}

#[test]
fn check_warns_when_the_last_quarter_differs_from_the_annual_actual() {
    let project = Project::new();
    // On the sample every Q4 cumulative equals the annual actual: no warning.
    let (_, findings, _) = project.run(&["check", "--format", "csv"]);
    assert!(!findings.contains("period_matches_annual"), "{findings}");
    // Restate 2022-Q4 interest as 1.00 万元: cumulative 0 + 1.90 + 0 + 1.00 = 2.90 against the
    // annual 3.79 (data/ledger.csv). Replace swaps the whole (640121, 2022-Q4) slice.
    project.write(
        "q4.csv",
        "region_code,period,fund_code,item_code,amount,unit\n\
         640121,2022-Q4,work_injury,interest,1.00,万元\n",
    );
    ok(import(&project, "q4.csv", &["--mode", "replace"]));
    let (_, findings, _) = project.run(&["check", "--format", "csv"]);
    assert!(
        findings.contains(
            "warning,period_matches_annual,640121,2022,work_injury,interest,2022-Q4 cumulative \
             2.90 万元 but the annual actual is 3.79 万元"
        ),
        "{findings}"
    );
}
