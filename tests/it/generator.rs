//! `fundq gen` and the view that stands in for the ledger on detail data.

use crate::common::{fundq, ok, root};

fn generate(out: &std::path::Path, seed: &str) -> (i32, String, String) {
    fundq(
        &root().join("data"),
        &root().join("sql"),
        &[
            "gen",
            "--persons",
            "3000",
            "--regions",
            "20",
            "--years",
            "2021..2022",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            seed,
        ],
    )
}

fn on(data: &std::path::Path, args: &[&str]) -> String {
    ok(fundq(data, &root().join("sql"), args))
}

fn scalar(data: &std::path::Path, sql: &str) -> String {
    let out = on(data, &["sql", sql, "--format", "csv"]);
    out.lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn the_same_seed_gives_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    ok(generate(&a, "7"));
    ok(generate(&b, "7"));
    ok(generate(&c, "8"));
    let bytes = |d: &std::path::Path| std::fs::read(d.join("detail/2022.parquet")).unwrap();
    assert_eq!(bytes(&a), bytes(&b));
    assert_ne!(bytes(&a), bytes(&c));
    let (code, _, stderr) = generate(&a, "7");
    assert_eq!(code, 2, "an existing folder is refused: {stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
}

/// The ledger of a province, computed by the view through the region tree, must equal the sum
/// of the detail records whose county code starts with the province's two digits (GB/T 2260),
/// computed straight from `detail`; the same for a city (four digits) and for headcounts.
#[test]
fn ledger_from_detail_rolls_counties_up_to_cities_and_provinces() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("province");
    ok(generate(&data, "1"));
    for (region, prefix) in [("110000", "11"), ("110100", "1101"), ("110101", "110101")] {
        let from_view = scalar(
            &data,
            &format!(
                "SELECT amount_yuan FROM ledger WHERE region_code = '{region}' AND year = 2022 \
                 AND fund_code = 'enterprise_pension' AND item_code = 'contribution' \
                 AND scenario = 'actual'"
            ),
        );
        let from_detail = scalar(
            &data,
            &format!(
                "SELECT SUM(amount_yuan) FROM detail WHERE region_code LIKE '{prefix}%' \
                 AND year = 2022 AND fund_code = 'enterprise_pension' \
                 AND item_code = 'contribution'"
            ),
        );
        assert!(!from_view.is_empty(), "no ledger row for {region}");
        assert_eq!(from_view, from_detail, "{region}");
        let persons = scalar(
            &data,
            &format!(
                "SELECT persons FROM headcount WHERE region_code = '{region}' AND year = 2022 \
                 AND fund_code = 'enterprise_pension' AND measure = 'contributors'"
            ),
        );
        let distinct = scalar(
            &data,
            &format!(
                "SELECT COUNT(DISTINCT person_id) FROM detail WHERE region_code LIKE '{prefix}%' \
                 AND year = 2022 AND fund_code = 'enterprise_pension' \
                 AND item_code = 'contribution'"
            ),
        );
        assert_eq!(persons, distinct, "{region}");
    }
}

#[test]
fn standard_views_and_the_report_run_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("province");
    ok(generate(&data, "3"));
    for view in [
        "budget_execution",
        "yoy_growth",
        "fund_balance",
        "per_capita",
    ] {
        let rows = on(
            &data,
            &[
                "run",
                view,
                "--filter",
                "region_code=110000",
                "--format",
                "csv",
            ],
        );
        assert!(rows.lines().count() > 2, "{view}: {rows}");
    }
    let report = dir.path().join("report.html");
    on(
        &data,
        &[
            "report",
            "--region",
            "110000",
            "--year",
            "2022",
            "--output",
            report.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read_to_string(report).unwrap().contains("110000"));
}
