//! Periods of a year: a month (`2023-09`) or a quarter (`2023-Q3`), as `fundq report --period`
//! and the wide period-table import take them and as `ledger_period.period` stores them.
//!
//! This module only parses and names periods; what a period's amounts are is SQL
//! (`sql/views/period_amount`).

use std::fmt;
use std::str::FromStr;

/// A month or a quarter of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub kind: PeriodKind,
}

/// Which part of the year a [`Period`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// Month 1 to 12.
    Month(u8),
    /// Quarter 1 to 4.
    Quarter(u8),
}

impl Period {
    /// The same period of the year before (上年同期).
    pub fn year_before(self) -> Period {
        Period {
            year: self.year - 1,
            ..self
        }
    }

    /// The key of the period's name in the report labels (`values.M09`, `values.Q3`).
    pub fn label_key(self) -> String {
        match self.kind {
            PeriodKind::Month(month) => format!("M{month:02}"),
            PeriodKind::Quarter(quarter) => format!("Q{quarter}"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month(month) => write!(f, "{}-{month:02}", self.year),
            PeriodKind::Quarter(quarter) => write!(f, "{}-Q{quarter}", self.year),
        }
    }
}

impl FromStr for Period {
    type Err = String;

    /// `2023-09` or `2023-Q3` (also `2023-9` and `2023-q3`).
    fn from_str(text: &str) -> Result<Period, String> {
        let expected = || {
            format!(
                "`{text}` is not a period; expected a month YYYY-MM (01 to 12) or a quarter \
                 YYYY-Qn (Q1 to Q4), as in 2023-09 or 2023-Q3"
            )
        };
        let (year, part) = text.trim().split_once('-').ok_or_else(expected)?;
        let year: i32 = year.parse().map_err(|_| expected())?;
        let kind = match part.strip_prefix(['Q', 'q']) {
            Some(quarter) => match quarter.parse() {
                Ok(quarter @ 1..=4) => PeriodKind::Quarter(quarter),
                _ => return Err(expected()),
            },
            None => match part.parse() {
                Ok(month @ 1..=12) => PeriodKind::Month(month),
                _ => return Err(expected()),
            },
        };
        Ok(Period { year, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_quarters_parse_and_print_in_the_stored_form() {
        let parsed: Period = "2023-9".parse().unwrap();
        assert_eq!(parsed.to_string(), "2023-09");
        assert_eq!("2023-q3".parse::<Period>().unwrap().to_string(), "2023-Q3");
        assert_eq!(
            "2023-Q3"
                .parse::<Period>()
                .unwrap()
                .year_before()
                .to_string(),
            "2022-Q3"
        );
        assert_eq!("2023-12".parse::<Period>().unwrap().label_key(), "M12");
    }

    #[test]
    fn out_of_range_months_and_quarters_are_refused() {
        for text in [
            "2023-13", "2023-00", "2023-Q5", "2023-Q0", "2023", "Q3-2023", "x-01",
        ] {
            let error = text.parse::<Period>().unwrap_err();
            assert!(
                error.contains("expected a month YYYY-MM"),
                "{text}: {error}"
            );
        }
    }
}
