//! `fundq report --format docx` opened by headless LibreOffice (converted to PDF without a
//! warning; its text and its tables), and the drafted explanations of
//! `sql/report/explanations/` filled from their SQL. Expected texts are the sample's own
//! (`data/funds.csv`, `data/ledger.csv`) or computed by hand in `tests/slt/variance_driver.slt`.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{ok, root, sample};

/// LibreOffice and poppler-utils, or None (then the caller skips, unless CI requires them).
fn tools() -> Option<&'static str> {
    let works = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let soffice = ["soffice", "libreoffice"]
        .into_iter()
        .find(|c| works(c, "--version"))?;
    works("pdftotext", "-v").then_some(soffice)
}

/// Runs headless LibreOffice with its own profile (parallel tests must not share one).
fn soffice(program: &str, profile: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.to_string_lossy()
        ))
        .args(["--headless", "--norestore"])
        .args(args)
        .output()
        .unwrap()
}

/// What LibreOffice printed beyond its progress line, less the launcher's note that Java is
/// missing (about the machine, not the document).
fn complaints(output: &Output) -> Vec<String> {
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    printed
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter(|line| !line.starts_with("convert "))
        .filter(|line| !line.contains("failed to launch javaldx"))
        .map(str::to_string)
        .collect()
}

#[test]
fn libreoffice_opens_the_docx_report_without_warnings() {
    let Some(program) = tools() else {
        // .ci/run installs them and sets this, so CI can never skip the conversion silently.
        assert!(
            std::env::var_os("FUNDQ_REQUIRE_LIBREOFFICE").is_none(),
            "FUNDQ_REQUIRE_LIBREOFFICE is set but soffice or pdftotext was not found"
        );
        eprintln!(
            "SKIPPED: no LibreOffice or pdftotext on this machine (.ci/run installs them: \
             apt-get install --no-install-recommends libreoffice-writer-nogui poppler-utils)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let base = ["report", "--region", "640121", "--year", "2022"];
    let (docx, html) = (out("report.docx"), out("report.html"));
    ok(sample(
        &[&base[..], &["--format", "docx", "--output", &docx]].concat(),
    ));
    ok(sample(&[&base[..], &["--output", &html]].concat()));

    let profile = dir.path().join("profile");
    let converted = soffice(
        program,
        &profile,
        &["--convert-to", "pdf", "--outdir", &out(""), &docx],
    );
    assert!(converted.status.success(), "soffice failed: {converted:?}");
    assert_eq!(complaints(&converted), Vec::<String>::new());

    let text = Command::new("pdftotext")
        .args(["-layout", &out("report.pdf"), "-"])
        .output()
        .unwrap();
    assert!(text.status.success());
    // Layout may break a line anywhere: compare without white space.
    let text: String = String::from_utf8_lossy(&text.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for heading in [
        "一、企业职工基本养老保险",
        "二、城乡居民基本养老保险",
        "三、机关事业单位养老保险",
        "四、工伤保险",
    ] {
        assert!(text.contains(heading), "no fund heading {heading}");
    }
    // The funeral grant of data/ledger.csv: budget 1642.17, actual 1413.36, 2021 1581.02.
    assert!(
        text.contains("丧抚费支出※1642.171413.36"),
        "funeral grant row"
    );
    assert!(text.contains("1581.02"));

    // LibreOffice's own HTML export of the document has a table for every table of the HTML
    // report: the docx holds real tables, not pictures of them.
    let exported = soffice(
        program,
        &profile,
        &["--convert-to", "html", "--outdir", &out("lo"), &docx],
    );
    assert!(exported.status.success(), "soffice failed: {exported:?}");
    let html_from_docx = std::fs::read_to_string(dir.path().join("lo/report.html")).unwrap();
    let report_html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let tables = report_html.matches("data-table=\"").count();
    assert!(tables > 20, "the HTML report has {tables} tables");
    assert_eq!(html_from_docx.matches("<table").count(), tables);
}

/// The drafted explanations: every flagged variance of the sample gets a sentence in both
/// languages from `inputs.sql` and the templates, filled the way the report fills them.
#[test]
fn drafted_explanations_fill_from_their_sql() {
    let folder = root().join("sql/report/explanations");
    let sql: String = std::fs::read_to_string(folder.join("inputs.sql"))
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("$region", "'640121'")
        .replace("$year", "2022");
    let csv_text = ok(sample(&["sql", &sql, "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // As many as variance_flag flags in 2022 (tests/slt/variance_flag.slt): all drafts, as
    // the sample has no notes.
    let flagged = ok(sample(&[
        "sql",
        "SELECT COUNT(*) AS n FROM variance_flag WHERE year = 2022",
        "--format",
        "csv",
    ]));
    assert_eq!(rows.len().to_string(), flagged.lines().nth(1).unwrap());
    let draft = header.iter().position(|h| h == "draft").unwrap();
    assert!(rows.iter().all(|r| &r[draft] == "true"));

    for (lang, marker) in [("zh", "【说明草稿】"), ("en", "[Draft]")] {
        let labels: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("sql/report/labels/{lang}.json")))
                .unwrap(),
        )
        .unwrap();
        let template = std::fs::read_to_string(folder.join(format!("{lang}.txt"))).unwrap();
        let mut env = minijinja::Environment::new();
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .unwrap(),
        );
        env.add_template_owned(lang.to_string(), template).unwrap();
        let template = env.get_template(lang).unwrap();
        let sentences: Vec<(String, String)> = rows
            .iter()
            .map(|row| {
                // Columns as text, a NULL (empty in CSV) left out, and the labels.
                let mut context = serde_json::Map::new();
                for (name, value) in header.iter().zip(row.iter()) {
                    if !value.is_empty() {
                        context.insert(name.to_string(), value.into());
                    }
                }
                context.insert("labels".into(), labels.clone());
                let key = format!("{}/{}/{}", &row[0], &row[2], &row[4]);
                (
                    key,
                    template.render(minijinja::value::Serde(&context)).unwrap(),
                )
            })
            .collect();
        for (key, sentence) in &sentences {
            assert!(sentence.starts_with(marker), "{key}: {sentence}");
            assert!(!sentence.contains('\n'), "{key}: {sentence}");
        }
        let of = |key: &str| &sentences.iter().find(|(k, _)| k == key).unwrap().1;
        // The seed's example: 2021, 328 recipients at 15810200 / 328 = 48201.83 元.
        let funeral = of("enterprise_pension/funeral_survivor/growth");
        assert!(
            funeral.contains("48201.83") && funeral.contains("328"),
            "{funeral}"
        );
        assert!(funeral.contains("167.66"), "{funeral}");
        // The work-injury benefit split computed by hand in variance_driver.slt.
        let benefit = of("work_injury/benefit/growth");
        for figure in ["66660.98", "45892.92", "779.93", "255.45", "-242.98"] {
            assert!(benefit.contains(figure), "{figure} in {benefit}");
        }
    }
}

/// The reports show the draft beside the placeholder while the note table has no text, and the
/// analyst's note alone once it has.
#[test]
fn reports_show_drafts_until_a_note_explains_the_figure() {
    let project = crate::common::Project::new();
    let output = project.file("report.md");
    let run = |project: &crate::common::Project| {
        ok(project.run(&[
            "report", "--region", "640121", "--year", "2022", "--format", "md", "--output", &output,
        ]));
        std::fs::read_to_string(&output).unwrap()
    };
    // Enterprise pension funeral grants (data/ledger.csv): budget 1642.17, actual 1413.36 万元;
    // 1413.36 / 1642.17 = 86.066… → 86.07 %, 228.81 万元 less.
    let text = run(&project);
    assert!(
        text.contains(
            "丧抚费支出（预算执行率 86.07%）：【待补充说明】 【说明草稿】丧抚费支出预算执行率低\
             （86.07%）：预算数1642.17万元，实际执行数1413.36万元，减少228.81万元。"
        ),
        "{text}"
    );
    project.write(
        "note.csv",
        "region_code,year,fund_code,item_code,text\n\
         640121,2022,enterprise_pension,funeral_survivor,领取人数减少。\n",
    );
    let note = project.file("note.csv");
    ok(project.run(&["import", &note, "--table", "note"]));
    let text = run(&project);
    assert!(
        text.contains("丧抚费支出（预算执行率 86.07%）：领取人数减少。\n"),
        "{text}"
    );
}
