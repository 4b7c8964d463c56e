//! `fundq export`: views as files, replaced all at once or not at all.

use crate::common::{Project, ok};
use calamine::{DataType, Reader, Xlsx, open_workbook};

#[test]
fn csv_export_equals_what_run_prints() {
    let project = Project::new();
    let to = project.file("exports");
    ok(project.run(&[
        "export",
        "--to",
        &to,
        "--format",
        "csv",
        "--views",
        "budget_execution,yoy_growth@v1",
    ]));
    let exported = std::fs::read_to_string(format!("{to}/budget_execution.csv")).unwrap();
    let printed = ok(project.run(&["run", "budget_execution", "--format", "csv"]));
    assert_eq!(exported, printed);
    let pinned = std::fs::read_to_string(format!("{to}/yoy_growth_v1.csv")).unwrap();
    assert_eq!(
        pinned,
        ok(project.run(&["run", "yoy_growth@v1", "--format", "csv"]))
    );
    let names: Vec<String> = std::fs::read_dir(&to)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_failed_export_leaves_the_previous_one_untouched() {
    let project = Project::new();
    let to = project.file("exports");
    ok(project.run(&[
        "export",
        "--to",
        &to,
        "--format",
        "csv",
        "--views",
        "fund_balance",
    ]));
    let before = std::fs::read_to_string(format!("{to}/fund_balance.csv")).unwrap();
    // budget_execution is written to the new folder first, then the unknown view fails.
    let (code, _, stderr) = project.run(&[
        "export",
        "--to",
        &to,
        "--format",
        "csv",
        "--views",
        "budget_execution,no_such_view",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no view named `no_such_view`"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(format!("{to}/fund_balance.csv")).unwrap(),
        before
    );
    assert!(!std::path::Path::new(&format!("{to}/budget_execution.csv")).exists());
    let leftovers: Vec<_> = std::fs::read_dir(project.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("export"))
        .collect();
    assert_eq!(leftovers, ["exports"], "no staging folder is left behind");
}

#[test]
fn default_export_writes_every_available_view_as_parquet() {
    let project = Project::new();
    let to = project.file("exports");
    ok(project.run(&["export", "--to", &to]));
    let views = ok(project.run(&["views", "--format", "csv"]));
    let view_count = views
        .lines()
        .skip(1)
        .filter(|l| !l.contains(",query,"))
        .count();
    let files = std::fs::read_dir(&to).unwrap().count();
    assert!(
        files >= 8 && files <= view_count,
        "{files} files for {view_count} listed"
    );
    // Read one back through fundq itself: a plain Parquet folder is a table.
    std::fs::create_dir_all(project.file("data/exported_balance")).unwrap();
    std::fs::copy(
        format!("{to}/fund_balance.parquet"),
        project.file("data/exported_balance/part-0.parquet"),
    )
    .unwrap();
    let order = "ORDER BY region_code, year, fund_code";
    let exported = ok(project.run(&[
        "sql",
        &format!("SELECT * FROM exported_balance {order}"),
        "--format",
        "csv",
    ]));
    let direct = ok(project.run(&[
        "sql",
        &format!("SELECT * FROM fund_balance {order}"),
        "--format",
        "csv",
    ]));
    assert_eq!(exported, direct);
}

#[test]
fn xlsx_export_keeps_amounts_as_numbers() {
    let project = Project::new();
    let to = project.file("exports");
    ok(project.run(&[
        "export",
        "--to",
        &to,
        "--format",
        "xlsx",
        "--views",
        "budget_execution",
    ]));
    let mut workbook: Xlsx<_> = open_workbook(format!("{to}/budget_execution.xlsx")).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Enterprise pension interest, 2022 (data/ledger.csv): actual 2206.40 万元 of a 2260 budget,
    // 2206.40 / 2260 = 97.628… → 97.63 %.
    let row = sheet
        .rows()
        .find(|r| {
            r[column("fund_code")].get_string() == Some("enterprise_pension")
                && r[column("item_code")].get_string() == Some("interest")
                && r[column("year")].get_float() == Some(2022.0)
        })
        .expect("the interest row");
    assert_eq!(row[column("actual_wan")].get_float(), Some(2206.40));
    assert_eq!(row[column("execution_rate")].get_float(), Some(97.63));
}
