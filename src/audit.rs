//! `fundq audit`: compares the figures a report states with what the ledger gives, and
//! classifies every disagreement.
//!
//! The stated figures come from a CSV file in the layout of `report_tables.csv` (region_code,
//! year, fund_code, table, item, measure, value, unit). The computed figures come from the view
//! `report_figure`, which lays the standard views out in the same shape; this module adds no
//! indicator arithmetic, only the comparison. Numbers are exact decimals throughout.
//!
//! A stated figure that equals the computed one rounded to the stated decimals is no finding.
//! Otherwise the first class that applies:
//! 1. `not-computable`: the ledger has no such figure;
//!    (also a rate whose row states a non-zero base the ledger lacks);
//! 2. `zero-base`: a rate or growth stated where the ledger's base is zero or missing;
//! 3. `sign`: the computed figure with the sign flipped;
//! 4. `rounding`: off by one unit of the last printed digit, or a rate computed from its row's
//!    printed (rounded) amounts when those agree with the ledger;
//! 5. `total`: a stated total that is not the sum of the stated items, or a stated rate that does
//!    not follow from the stated amounts of its row (allowing for the rounding of those amounts);
//! 6. `value`: anything else.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::{BigDecimal, RoundingMode, Signed, Zero};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, Int32Type, Schema, SchemaRef};
use datafusion::prelude::{cast, col};

use crate::error::{Error, Result};
use crate::input::decode_text;
use crate::session::Session;
use crate::workspace::Workspace;

/// The view that gives the computed figures.
const FIGURE_VIEW: &str = "report_figure";

/// The columns of a stated-figures file.
const STATED_COLUMNS: [&str; 8] = [
    "region_code",
    "year",
    "fund_code",
    "table",
    "item",
    "measure",
    "value",
    "unit",
];

/// Measures that are rates in %: they have a base and do not add up.
const RATE_MEASURES: [&str; 3] = ["execution_rate", "growth", "share"];

/// What kind of disagreement a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    NotComputable,
    ZeroBase,
    Sign,
    Rounding,
    Total,
    Value,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::NotComputable => "not-computable",
            Class::ZeroBase => "zero-base",
            Class::Sign => "sign",
            Class::Rounding => "rounding",
            Class::Total => "total",
            Class::Value => "value",
        }
    }

    pub const ALL: [Class; 6] = [
        Class::Value,
        Class::Total,
        Class::Sign,
        Class::ZeroBase,
        Class::NotComputable,
        Class::Rounding,
    ];
}

/// (region_code, year, fund_code, table, item, measure).
type FigureKey = (String, i32, String, String, String, String);

/// One figure as the report prints it.
#[derive(Debug, Clone)]
struct Stated {
    key: FigureKey,
    text: String,
    value: BigDecimal,
    /// Digits printed after the decimal point.
    decimals: i64,
}

/// One figure as the ledger gives it.
#[derive(Debug, Clone)]
struct Computed {
    value: Option<BigDecimal>,
    base: Option<BigDecimal>,
    part_of_total: Option<bool>,
}

/// A stated figure that disagrees with the ledger.
#[derive(Debug, Clone)]
pub struct Finding {
    pub fund_code: String,
    pub table: String,
    pub item: String,
    pub measure: String,
    pub stated: String,
    pub computed: Option<String>,
    pub class: Class,
}

/// The findings of one audit and how many figures were compared.
pub struct Audit {
    pub findings: Vec<Finding>,
    pub stated: usize,
}

/// Audits the stated figures in `file` against the ledger (as of the workspace's `--as-of`).
pub async fn audit_file(workspace: &Workspace, file: &Path) -> Result<Audit> {
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let stated = parse_stated(file, &decode_text(file, &bytes)?)?;
    let computed = computed_figures(workspace).await?;
    let by_key: HashMap<&FigureKey, &Stated> = stated.iter().map(|s| (&s.key, s)).collect();
    let findings = stated
        .iter()
        .filter_map(|s| {
            let class = classify(s, computed.get(&s.key), &by_key, &computed)?;
            let computed_text = computed
                .get(&s.key)
                .and_then(|c| c.value.as_ref())
                .map(|v| printable(v, s.decimals));
            Some(Finding {
                fund_code: s.key.2.clone(),
                table: s.key.3.clone(),
                item: s.key.4.clone(),
                measure: s.key.5.clone(),
                stated: s.text.clone(),
                computed: computed_text,
                class,
            })
        })
        .collect();
    Ok(Audit {
        findings,
        stated: stated.len(),
    })
}

/// Reads the stated figures; every malformed row is reported at once.
fn parse_stated(file: &Path, text: &str) -> Result<Vec<Stated>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad_file(file, vec![format!("header: {e}")]))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let position = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<&str> = STATED_COLUMNS
        .iter()
        .copied()
        .filter(|c| position(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(bad_file(
            file,
            vec![format!(
                "row 1: missing column(s) {}; a stated-figures file has the columns {}",
                missing.join(", "),
                STATED_COLUMNS.join(", ")
            )],
        ));
    }
    let index: Vec<usize> = STATED_COLUMNS
        .iter()
        .map(|c| position(c).unwrap_or_default())
        .collect();
    let mut stated = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("row {row}: {e}"));
                continue;
            }
        };
        let cell = |column: usize| record.get(index[column]).unwrap_or("").trim().to_string();
        let year = match cell(1).parse::<i32>() {
            Ok(y) => y,
            Err(_) => {
                problems.push(format!(
                    "row {row}, column year: `{}` is not a year",
                    cell(1)
                ));
                continue;
            }
        };
        let text = cell(6);
        let Some((value, decimals)) = parse_printed(&text) else {
            problems.push(format!(
                "row {row}, column value: `{text}` is not a number as printed (for example 97.61 or -7354.47)"
            ));
            continue;
        };
        stated.push(Stated {
            key: (cell(0), year, cell(2), cell(3), cell(4), cell(5)),
            text,
            value,
            decimals,
        });
    }
    if problems.is_empty() && stated.is_empty() {
        problems.push("the file has a header but no figures".into());
    }
    if !problems.is_empty() {
        return Err(bad_file(file, problems));
    }
    Ok(stated)
}

fn bad_file(file: &Path, problems: Vec<String>) -> Error {
    Error::BadFile {
        file: file.to_path_buf(),
        problems,
    }
}

/// A printed number (`97.61`, `-0.88`, `2`, `1,234.5`) and its number of decimals.
fn parse_printed(text: &str) -> Option<(BigDecimal, i64)> {
    let plain: String = text.chars().filter(|c| *c != ',').collect();
    let valid = !plain.is_empty()
        && plain
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && plain.matches('.').count() <= 1
        && plain.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    let decimals = plain.split_once('.').map_or(0, |(_, f)| f.len() as i64);
    let value: BigDecimal = plain.parse().ok()?;
    Some((value, decimals))
}

/// Every figure of the `report_figure` view, by key.
async fn computed_figures(workspace: &Workspace) -> Result<HashMap<FigureKey, Computed>> {
    let mut session = Session::open(workspace)?;
    let view = session.catalog().view(FIGURE_VIEW, None)?.clone();
    let text = |name: &str| cast(col(name), DataType::Utf8).alias(name);
    let frame = session.view_frame(&view).await?.select(vec![
        text("region_code"),
        cast(col("year"), DataType::Int32).alias("year"),
        text("fund_code"),
        text("report_table"),
        text("item"),
        text("measure"),
        cast(col("value"), DataType::Decimal128(24, 4)).alias("value"),
        cast(col("base"), DataType::Decimal128(24, 4)).alias("base"),
        cast(col("part_of_total"), DataType::Boolean).alias("part_of_total"),
    ])?;
    let mut figures = HashMap::new();
    for batch in frame.collect().await? {
        let strings = |i: usize| batch.column(i).as_string::<i32>();
        let year = batch.column(1).as_primitive::<Int32Type>();
        let decimal = |i: usize| batch.column(i).as_primitive::<Decimal128Type>();
        let (value, base) = (decimal(6), decimal(7));
        let part = batch.column(8).as_boolean();
        let exact = |array: &datafusion::arrow::array::Decimal128Array, row: usize| {
            (!array.is_null(row)).then(|| BigDecimal::new(BigInt::from(array.value(row)), 4))
        };
        for row in 0..batch.num_rows() {
            if strings(0).is_null(row) || year.is_null(row) {
                continue;
            }
            let key = (
                strings(0).value(row).to_string(),
                year.value(row),
                strings(2).value(row).to_string(),
                strings(3).value(row).to_string(),
                strings(4).value(row).to_string(),
                strings(5).value(row).to_string(),
            );
            figures.insert(
                key,
                Computed {
                    value: exact(value, row),
                    base: exact(base, row),
                    part_of_total: (!part.is_null(row)).then(|| part.value(row)),
                },
            );
        }
    }
    Ok(figures)
}

/// The class of a stated figure's disagreement, or `None` when it agrees with the ledger.
fn classify(
    stated: &Stated,
    computed: Option<&Computed>,
    all_stated: &HashMap<&FigureKey, &Stated>,
    all_computed: &HashMap<FigureKey, Computed>,
) -> Option<Class> {
    let measure = stated.key.5.as_str();
    let is_rate = RATE_MEASURES.contains(&measure);
    let Some(computed) = computed else {
        return Some(Class::NotComputable);
    };
    let Some(value) = &computed.value else {
        let ledger_base_is_zero = computed.base.as_ref().is_none_or(|b| b.is_zero());
        let stated_base_is_zero =
            row_amounts(stated, all_stated).is_none_or(|(_, base, _)| base.value.is_zero());
        return Some(if is_rate && ledger_base_is_zero && stated_base_is_zero {
            Class::ZeroBase
        } else {
            Class::NotComputable
        });
    };
    let printed = round(value, stated.decimals);
    if printed == stated.value {
        return None;
    }
    if !stated.value.is_zero() && printed == -stated.value.clone() {
        return Some(Class::Sign);
    }
    if (&stated.value - &printed).abs() <= unit(stated.decimals)
        || computed_from_rounded_amounts(stated, all_stated, all_computed)
    {
        return Some(Class::Rounding);
    }
    if total_is_inconsistent(stated, all_stated, all_computed)
        || rate_is_inconsistent(stated, all_stated)
    {
        return Some(Class::Total);
    }
    Some(Class::Value)
}

/// A stated total row (`item = total`) of an amount whose stated items do not add up to it,
/// beyond what rounding each printed figure can explain.
fn total_is_inconsistent(
    total: &Stated,
    all_stated: &HashMap<&FigureKey, &Stated>,
    all_computed: &HashMap<FigureKey, Computed>,
) -> bool {
    let (region, year, fund, table, item, measure) = &total.key;
    if item != "total" || RATE_MEASURES.contains(&measure.as_str()) {
        return false;
    }
    let members: Vec<&&Stated> = all_stated
        .values()
        .filter(|s| {
            let (r, y, f, t, i, m) = &s.key;
            (r, y, f, t, m) == (region, year, fund, table, measure)
                && i != "total"
                && all_computed
                    .get(&s.key)
                    .and_then(|c| c.part_of_total)
                    .unwrap_or(false)
        })
        .collect();
    if members.is_empty() {
        return false;
    }
    // An item that agrees with the ledger counts with the ledger's digits (2206 printed for
    // 2206.40 is 2206.40); any other item with its printed value, give or take its rounding.
    let mut sum = BigDecimal::zero();
    let mut slack = half_unit(total.decimals);
    for member in members {
        match ledger_value_if_agreeing(member, all_computed) {
            Some(exact) => sum += exact,
            None => {
                sum += member.value.clone();
                slack += half_unit(member.decimals);
            }
        }
    }
    (&total.value - sum).abs() > slack
}

/// The ledger's value of a stated figure when the printed figure is that value rounded.
fn ledger_value_if_agreeing(
    stated: &Stated,
    all_computed: &HashMap<FigureKey, Computed>,
) -> Option<BigDecimal> {
    let value = all_computed.get(&stated.key)?.value.clone()?;
    (round(&value, stated.decimals) == stated.value).then_some(value)
}

/// The amounts a stated rate is computed from in its row: (numerator, base, whether the rate is
/// a growth, i.e. numerator / base − 1).
fn row_amounts<'a>(
    rate: &Stated,
    all_stated: &HashMap<&FigureKey, &'a Stated>,
) -> Option<(&'a Stated, &'a Stated, bool)> {
    let (numerator, base, minus_one) = match rate.key.5.as_str() {
        "execution_rate" => ("actual", "budget", false),
        "growth" => ("current", "previous", true),
        _ => return None,
    };
    let sibling = |measure: &str| {
        let mut key = rate.key.clone();
        key.5 = measure.to_string();
        all_stated.get(&key).copied()
    };
    Some((sibling(numerator)?, sibling(base)?, minus_one))
}

/// A rate that is exactly what its row's printed amounts give, where those amounts agree with
/// the ledger: the report divided rounded figures (2206 / 2260 for 2206.40 / 2260).
fn computed_from_rounded_amounts(
    rate: &Stated,
    all_stated: &HashMap<&FigureKey, &Stated>,
    all_computed: &HashMap<FigureKey, Computed>,
) -> bool {
    let Some((numerator, base, minus_one)) = row_amounts(rate, all_stated) else {
        return false;
    };
    if base.value.is_zero()
        || ledger_value_if_agreeing(numerator, all_computed).is_none()
        || ledger_value_if_agreeing(base, all_computed).is_none()
    {
        return false;
    }
    let ratio = &numerator.value / &base.value;
    let ratio = if minus_one {
        ratio - BigDecimal::from(1)
    } else {
        ratio
    };
    round(&(ratio * BigDecimal::from(100)), rate.decimals) == rate.value
}

/// A stated execution rate or growth that no values within the rounding of its row's stated
/// amounts (actual / budget, current / previous) can give.
fn rate_is_inconsistent(rate: &Stated, all_stated: &HashMap<&FigureKey, &Stated>) -> bool {
    let Some((a, b, minus_one)) = row_amounts(rate, all_stated) else {
        return false;
    };
    let (ha, hb) = (half_unit(a.decimals), half_unit(b.decimals));
    let (b_low, b_high) = (&b.value - &hb, &b.value + &hb);
    if b_low.is_negative() != b_high.is_negative() || b_low.is_zero() || b_high.is_zero() {
        return false; // the base may be zero: nothing follows from it
    }
    let hundred = BigDecimal::from(100);
    let as_rate = |ratio: BigDecimal| {
        let ratio = if minus_one {
            ratio - BigDecimal::from(1)
        } else {
            ratio
        };
        ratio * &hundred
    };
    let corners: Vec<BigDecimal> = [(&a.value - &ha), (&a.value + &ha)]
        .iter()
        .flat_map(|numerator| {
            [&b_low, &b_high]
                .into_iter()
                .map(move |denominator| as_rate(numerator / denominator))
        })
        .collect();
    let low = corners.iter().min().cloned().unwrap_or_default();
    let high = corners.iter().max().cloned().unwrap_or_default();
    let slack = half_unit(rate.decimals);
    &rate.value + &slack < low || &rate.value - &slack > high
}

/// `value` rounded half away from zero to `decimals` places, as reports round.
fn round(value: &BigDecimal, decimals: i64) -> BigDecimal {
    value.with_scale_round(decimals, RoundingMode::HalfUp)
}

/// One unit of the last printed digit: 0.01 for two decimals.
fn unit(decimals: i64) -> BigDecimal {
    BigDecimal::new(BigInt::from(1), decimals)
}

/// Half a unit of the last printed digit: the most rounding can move a printed figure.
fn half_unit(decimals: i64) -> BigDecimal {
    BigDecimal::new(BigInt::from(5), decimals + 1)
}

/// A computed figure for display: its own digits, at least as many decimals as the stated one.
fn printable(value: &BigDecimal, decimals: i64) -> String {
    let normalized = value.normalized();
    let scale = normalized.fractional_digit_count().max(decimals).max(0);
    value
        .with_scale_round(scale, RoundingMode::HalfUp)
        .to_string()
}

/// The findings as rows: fund_code, table, item, measure, stated, computed, class.
pub fn findings_batch(findings: &[Finding]) -> Result<(SchemaRef, RecordBatch)> {
    let names = [
        "fund_code",
        "table",
        "item",
        "measure",
        "stated",
        "computed",
        "class",
    ];
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, *n == "computed"))
            .collect::<Vec<_>>(),
    ));
    let column = |pick: &dyn Fn(&Finding) -> Option<String>| {
        let mut builder = StringBuilder::new();
        for finding in findings {
            builder.append_option(pick(finding));
        }
        Arc::new(builder.finish()) as ArrayRef
    };
    let columns = vec![
        column(&|f| Some(f.fund_code.clone())),
        column(&|f| Some(f.table.clone())),
        column(&|f| Some(f.item.clone())),
        column(&|f| Some(f.measure.clone())),
        column(&|f| Some(f.stated.clone())),
        column(&|f| f.computed.clone()),
        column(&|f| Some(f.class.label().to_string())),
    ];
    Ok((schema.clone(), RecordBatch::try_new(schema, columns)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stated(item: &str, measure: &str, text: &str) -> Stated {
        let (value, decimals) = parse_printed(text).unwrap();
        Stated {
            key: (
                "r".into(),
                2022,
                "f".into(),
                "budget_execution_income".into(),
                item.into(),
                measure.into(),
            ),
            text: text.into(),
            value,
            decimals,
        }
    }

    fn computed(value: &str, base: Option<&str>) -> Computed {
        Computed {
            value: Some(value.parse().unwrap()),
            base: base.map(|b| b.parse().unwrap()),
            part_of_total: Some(true),
        }
    }

    fn class_of(s: &Stated, c: Option<&Computed>) -> Option<Class> {
        classify(s, c, &HashMap::new(), &HashMap::new())
    }

    #[test]
    fn printed_numbers_keep_their_decimals() {
        let (v, d) = parse_printed("-7354.47").unwrap();
        assert_eq!((v.to_string().as_str(), d), ("-7354.47", 2));
        assert_eq!(parse_printed("33").unwrap().1, 0);
        assert_eq!(parse_printed("1,234.5").unwrap().1, 1);
        assert!(parse_printed("abc").is_none());
        assert!(parse_printed("1.2.3").is_none());
        assert!(parse_printed("").is_none());
    }

    #[test]
    fn classes_of_single_figures() {
        let rate = stated("interest", "execution_rate", "97.61");
        // 97.614 rounds to 97.61: agrees.
        assert_eq!(class_of(&rate, Some(&computed("97.614", Some("1")))), None);
        // 97.62 is one unit of the last digit away.
        assert_eq!(
            class_of(&rate, Some(&computed("97.62", Some("1")))),
            Some(Class::Rounding)
        );
        // 97.63 is two units away and nothing else explains it.
        assert_eq!(
            class_of(&rate, Some(&computed("97.63", Some("1")))),
            Some(Class::Value)
        );
        assert_eq!(
            class_of(&rate, Some(&computed("-97.61", Some("1")))),
            Some(Class::Sign)
        );
        assert_eq!(class_of(&rate, None), Some(Class::NotComputable));
        let no_rate = Computed {
            value: None,
            base: Some(BigDecimal::zero()),
            part_of_total: None,
        };
        assert_eq!(class_of(&rate, Some(&no_rate)), Some(Class::ZeroBase));
        // A printed "83" agrees with 82.89 (rounded to no decimals).
        let share = stated("x", "share", "83");
        assert_eq!(class_of(&share, Some(&computed("82.89", Some("1")))), None);
    }

    #[test]
    fn a_total_that_is_not_the_sum_of_its_items() {
        // Items 10.00 + 20.00 = 30.00, but the total says 30.50 (the ledger gives 30.00).
        let items = [
            stated("a", "actual", "10.00"),
            stated("b", "actual", "20.00"),
        ];
        let total = stated("total", "actual", "30.50");
        let all: Vec<&Stated> = items.iter().chain([&total]).collect();
        let by_key: HashMap<&FigureKey, &Stated> = all.iter().map(|s| (&s.key, *s)).collect();
        let computed_map: HashMap<FigureKey, Computed> = all
            .iter()
            .map(|s| (s.key.clone(), computed("0", None)))
            .collect();
        assert!(total_is_inconsistent(&total, &by_key, &computed_map));
        let right = stated("total", "actual", "30.01");
        assert!(!total_is_inconsistent(&right, &by_key, &computed_map));
    }

    #[test]
    fn a_rate_that_does_not_follow_from_its_row() {
        // actual 2206 / budget 2260 × 100 = 97.6106…; with the amounts printed to whole 万元
        // (±0.5) the rate lies in [97.567…, 97.654…] (2205.5/2260.5 and 2206.5/2259.5).
        let budget = stated("interest", "budget", "2260");
        let actual = stated("interest", "actual", "2206");
        let fits = stated("interest", "execution_rate", "97.63");
        let off = stated("interest", "execution_rate", "97.70");
        let all = [&budget, &actual];
        let by_key: HashMap<&FigureKey, &Stated> = all.iter().map(|s| (&s.key, *s)).collect();
        assert!(!rate_is_inconsistent(&fits, &by_key));
        assert!(rate_is_inconsistent(&off, &by_key));
    }
}
