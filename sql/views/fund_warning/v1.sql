-- Early warnings (预警): every region, year and fund whose months of expenditure covered by the
-- closing balance (fund_balance_rollup: a city or province summed from its leaves) falls in a
-- band of warning_threshold for its fund and region level, with the band, what it means and its
-- basis. A NULL months_covered (no closing balance, zero expenditure) gives no warning. The
-- thresholds are read unpinned on purpose: they are settings, changed by adding a version of
-- warning_threshold. `fundq check` reports these through sql/warnings/months_covered.sql.
SELECT b.region_code, g.name_zh AS region_name, g.level AS region_level, g.parent_code, b.year,
       b.fund_code, t.warning, t.severity, b.closing_balance_wan, b.expense_wan, b.months_covered,
       t.from_months, t.below_months, t.action, t.basis
FROM fund_balance_rollup_v1 b
JOIN region g ON g.region_code = b.region_code
JOIN warning_threshold t ON t.fund_code = b.fund_code AND t.region_level = g.level
WHERE b.months_covered IS NOT NULL
  AND (t.from_months IS NULL OR b.months_covered >= t.from_months)
  AND (t.below_months IS NULL OR b.months_covered < t.below_months)
