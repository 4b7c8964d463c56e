//! The property test of issue 26, over random province trees (`tests/property/trees.py gen`):
//! random tree shapes, items stated as a parent alone, with some or all of their parts or only as
//! parts, adjusted budgets on some items, closing balances on most, the last year's periods as
//! months or quarters stated as amounts, cumulatives or both.
//!
//! - Every roll-up view, for every city and province, equals the leaf view over a ledger in which
//!   the independent oracle (`trees.py sum`, plain Python) summed the leaves' rows first.
//! - Within a leaf, the amounts of Q1, Q2 and Q3 add up to the cumulative to September, and the
//!   cumulative to December equals the annual actual.
//!
//! A disagreement is printed with the smallest tree (fewest input rows) that shows it, and that
//! tree's input rows. FUNDQ_PROPERTY_TREES and FUNDQ_PROPERTY_SEED change the size and the seed
//! (bench/property_trees.sh runs thousands).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use crate::common::{DataFolder, ok, root};

/// A roll-up view and the leaf view it must equal, the columns that identify a row and those
/// compared. Rows whose `present` column is empty count as absent (the oracle leaves out a
/// partial sum; the roll-up shows it as NULL).
struct Pair {
    rollup: &'static str,
    leaf: &'static str,
    keys: &'static str,
    values: &'static str,
    present: Option<&'static str>,
}

const PAIRS: &[Pair] = &[
    Pair {
        rollup: "budget_execution_rollup",
        leaf: "budget_execution",
        keys: "region_code, year, fund_code, direction, item_code",
        values: "budget_wan, actual_wan, execution_rate, deviation_wan",
        present: None,
    },
    Pair {
        rollup: "yoy_growth_rollup",
        leaf: "yoy_growth",
        keys: "region_code, year, fund_code, direction, item_code",
        values: "current_wan, previous_wan, growth, change_wan",
        present: None,
    },
    Pair {
        rollup: "fund_balance_rollup",
        leaf: "fund_balance",
        keys: "region_code, year, fund_code",
        values: "income_wan, expense_wan, balance_wan, own_income_wan, own_expense_wan, \
                 own_balance_wan, closing_balance_wan, months_covered, dependency_ratio",
        present: None,
    },
    Pair {
        rollup: "per_capita_rollup",
        leaf: "per_capita",
        keys: "region_code, year, fund_code, indicator",
        values: "numerator_wan, denominator, value, previous, growth",
        present: Some("value"),
    },
    Pair {
        rollup: "headcount_growth_rollup",
        leaf: "headcount_growth",
        keys: "region_code, year, fund_code, measure, breakdown, member",
        values: "persons, previous, growth",
        present: None,
    },
    Pair {
        rollup: "headcount_share_rollup",
        leaf: "headcount_share",
        keys: "region_code, year, fund_code, measure, breakdown, member",
        values: "persons, total, share",
        present: None,
    },
];

const TREE_TABLES: &[&str] = &[
    "fund",
    "item",
    "region",
    "ledger",
    "headcount",
    "ledger_period",
];
const SUMMED_TABLES: &[&str] = &["fund", "item", "region", "ledger", "headcount"];

fn file_of(table: &str) -> String {
    match table {
        "fund" => "funds.csv".into(),
        "item" => "items.csv".into(),
        "region" => "regions.csv".into(),
        other => format!("{other}.csv"),
    }
}

fn trees_py(args: &[&str]) {
    let out = Command::new("python3")
        .arg(root().join("tests/property/trees.py"))
        .args(args)
        .output()
        .expect("python3 runs tests/property/trees.py");
    assert!(
        out.status.success(),
        "trees.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn imported(csv_dir: &Path, tables: &[&str]) -> DataFolder {
    let folder = DataFolder::new();
    for table in tables {
        ok(folder.import_file(table, &csv_dir.join(file_of(table))));
    }
    folder
}

/// Rows of a CSV result keyed by their first `key_columns` fields.
fn keyed(
    csv: &str,
    key_columns: usize,
    present: Option<usize>,
) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .filter(|row| present.is_none_or(|p| !row[key_columns + p].is_empty()))
        .map(|row| (row[..key_columns].to_vec(), row[key_columns..].to_vec()))
        .collect()
}

/// A disagreement: the region it is about and what differs.
struct Disagreement {
    region: String,
    text: String,
}

fn compare_pair(tree: &DataFolder, summed: &DataFolder, pair: &Pair) -> Vec<Disagreement> {
    let columns = format!("{}, {}", pair.keys, pair.values);
    let key_count = pair.keys.split(',').count();
    let present = pair
        .present
        .map(|p| pair.values.split(',').position(|c| c.trim() == p).unwrap());
    let rollup = tree.csv(&format!(
        "SELECT {columns} FROM {} WHERE region_code IN \
         (SELECT parent_code FROM region WHERE parent_code IS NOT NULL)",
        pair.rollup
    ));
    let leaf = summed.csv(&format!("SELECT {columns} FROM {}", pair.leaf));
    let (rollup, leaf) = (
        keyed(&rollup, key_count, present),
        keyed(&leaf, key_count, present),
    );
    let keys: BTreeSet<_> = rollup.keys().chain(leaf.keys()).collect();
    assert!(
        keys.len() >= 50,
        "{} vs {}: only {} rows compared; the generated trees should give hundreds",
        pair.rollup,
        pair.leaf,
        keys.len()
    );
    keys.into_iter()
        .filter(|k| rollup.get(*k) != leaf.get(*k))
        .map(|k| Disagreement {
            region: k[0].clone(),
            text: format!(
                "{} vs {} at ({}) = ({}): roll-up ({}), oracle's sums ({})",
                pair.rollup,
                pair.leaf,
                pair.keys,
                k.join(", "),
                rollup.get(k).map_or("no row".into(), |v| v.join(", ")),
                leaf.get(k).map_or("no row".into(), |v| v.join(", ")),
            ),
        })
        .collect()
}

/// Exact yuan as cents; "" is None.
fn cents(text: &str) -> Option<i128> {
    if text.is_empty() {
        return None;
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let fraction = format!("{fraction:0<2}");
    Some(whole.parse::<i128>().unwrap() * 100 + sign * fraction[..2].parse::<i128>().unwrap())
}

/// Q1 + Q2 + Q3 = the cumulative to September, and the cumulative to December = the annual
/// actual, for every leaf, fund and item with periods.
fn period_properties(tree: &DataFolder) -> Vec<Disagreement> {
    let periods = tree.csv(
        "SELECT region_code, year, fund_code, item_code, period, end_month, months, amount_yuan, \
         cumulative_yuan FROM period_amount",
    );
    let annual = tree.csv(
        "SELECT region_code, year, fund_code, item_code, amount_yuan FROM item_amount \
         WHERE scenario = 'actual' AND year IN (SELECT DISTINCT year FROM period_amount)",
    );
    let annual: HashMap<Vec<String>, String> = keyed(&annual, 4, None)
        .into_iter()
        .map(|(k, v)| (k, v[0].clone()))
        .collect();
    // Per (region, year, fund, item): quarter amounts by end month, cumulatives by end month.
    let mut quarters: BTreeMap<Vec<String>, BTreeMap<u32, Option<i128>>> = BTreeMap::new();
    let mut cumulative: BTreeMap<Vec<String>, BTreeMap<u32, Option<i128>>> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(periods.as_bytes());
    for record in reader.records() {
        let r = record.unwrap();
        let key: Vec<String> = (0..4).map(|i| r[i].to_string()).collect();
        let end_month: u32 = r[5].parse().unwrap();
        if &r[6] == "3" {
            quarters
                .entry(key.clone())
                .or_default()
                .insert(end_month, cents(&r[7]));
        }
        cumulative
            .entry(key)
            .or_default()
            .insert(end_month, cents(&r[8]));
    }
    let mut found = Vec::new();
    for (key, ends) in &cumulative {
        let q = &quarters.get(key).cloned().unwrap_or_default();
        let first_three: Option<i128> = [3, 6, 9].iter().map(|m| q.get(m).copied().flatten()).sum();
        let september = ends.get(&9).copied().flatten();
        if first_three.is_none() || first_three != september {
            found.push(Disagreement {
                region: key[0].clone(),
                text: format!(
                    "period_amount at ({}): Q1 + Q2 + Q3 = {first_three:?} cents, cumulative to \
                     September {september:?}",
                    key.join(", ")
                ),
            });
        }
        let december = ends.get(&12).copied().flatten();
        let actual = annual.get(key).and_then(|a| cents(a));
        if december.is_none() || december != actual {
            found.push(Disagreement {
                region: key[0].clone(),
                text: format!(
                    "period_amount at ({}): cumulative to December {december:?} cents, annual \
                     actual (item_amount) {actual:?}",
                    key.join(", ")
                ),
            });
        }
    }
    found
}

/// The input rows of one tree (region codes starting with `tree`), from every generated CSV.
fn rows_of_tree(csv_dir: &Path, tree: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for table in ["regions", "ledger", "headcount", "ledger_period"] {
        let text = std::fs::read_to_string(csv_dir.join(format!("{table}.csv"))).unwrap();
        rows.extend(
            text.lines()
                .filter(|line| line.starts_with(tree))
                .map(|line| format!("{table}.csv: {line}")),
        );
    }
    rows
}

#[test]
fn roll_ups_equal_the_leaf_views_over_ledgers_the_oracle_summed_first() {
    let trees = std::env::var("FUNDQ_PROPERTY_TREES").unwrap_or_else(|_| "300".into());
    let seed = std::env::var("FUNDQ_PROPERTY_SEED").unwrap_or_else(|_| "26".into());
    let work = tempfile::tempdir().unwrap();
    let (tree_csv, summed_csv) = (work.path().join("tree"), work.path().join("summed"));
    trees_py(&[
        "gen",
        "--seed",
        &seed,
        "--trees",
        &trees,
        &tree_csv.to_string_lossy(),
    ]);
    trees_py(&[
        "sum",
        &tree_csv.to_string_lossy(),
        &summed_csv.to_string_lossy(),
    ]);
    let tree = imported(&tree_csv, TREE_TABLES);
    let summed = imported(&summed_csv, SUMMED_TABLES);

    // The cases the rules are about occur in the generated data: parents budgeted through
    // partly adjusted parts, per-capita items stated by some leaves only, quarters and months.
    for (what, query) in [
        (
            "derived, partly adjusted budgets",
            "SELECT COUNT(*) AS n FROM budget_basis WHERE derived AND adjusted",
        ),
        (
            "partial per-capita sums",
            "SELECT COUNT(*) AS n FROM per_capita_rollup WHERE note IS NOT NULL",
        ),
        (
            "quarters",
            "SELECT COUNT(*) AS n FROM ledger_period WHERE period LIKE '%Q%'",
        ),
        (
            "months",
            "SELECT COUNT(*) AS n FROM ledger_period WHERE period NOT LIKE '%Q%'",
        ),
    ] {
        let count = tree.csv(query);
        assert_ne!(
            count.lines().nth(1),
            Some("0"),
            "no {what} in the generated trees"
        );
    }
    let mut found: Vec<Disagreement> = PAIRS
        .iter()
        .flat_map(|pair| compare_pair(&tree, &summed, pair))
        .collect();
    found.extend(period_properties(&tree));
    if found.is_empty() {
        return;
    }
    // The smallest tree that shows a disagreement: the fewest input rows.
    let tree_of = |region: &str| region.chars().take(5).collect::<String>();
    let smallest = found
        .iter()
        .map(|d| tree_of(&d.region))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .min_by_key(|t| rows_of_tree(&tree_csv, t).len())
        .unwrap();
    let shown: Vec<&str> = found
        .iter()
        .filter(|d| tree_of(&d.region) == smallest)
        .map(|d| d.text.as_str())
        .collect();
    panic!(
        "{} disagreements (seed {seed}, {trees} trees); the smallest tree showing one is {smallest}:\n\
         {}\n\nits input rows:\n{}",
        found.len(),
        shown.join("\n"),
        rows_of_tree(&tree_csv, &smallest).join("\n")
    );
}
