-- Variances that need an explanation (说明): an execution rate or a year-over-year growth beyond
-- the thresholds of check_threshold (|rate − 100| ≥ rate_deviation_pct, |growth| ≥ growth_pct,
-- for items of at least min_amount_wan 万元), one row per item and measure ('execution_rate' or
-- 'growth'), with the note explaining it (NULL when the note table has none). `fundq check`
-- (variance_needs_explanation) and `fundq report` both read this view, so they flag the same
-- figures. The thresholds are read unpinned on purpose: they are settings, changed by adding a
-- version of check_threshold, and must reach the check and the report alike.
WITH flagged AS (
    SELECT e.region_code, e.year, e.fund_code, e.direction, e.item_code, e.item_name,
           'execution_rate' AS measure, e.execution_rate AS figure,
           e.budget_wan AS base_wan, e.actual_wan AS value_wan
    FROM budget_execution_v1 e
    JOIN check_threshold t ON t.fund_code = e.fund_code
    WHERE ABS(e.execution_rate - 100) >= t.rate_deviation_pct
      AND GREATEST(ABS(e.budget_wan), ABS(COALESCE(e.actual_wan, 0))) >= t.min_amount_wan
    UNION ALL
    SELECT g.region_code, g.year, g.fund_code, g.direction, g.item_code, g.item_name,
           'growth' AS measure, g.growth AS figure,
           g.previous_wan AS base_wan, g.current_wan AS value_wan
    FROM yoy_growth_v1 g
    JOIN check_threshold t ON t.fund_code = g.fund_code
    WHERE ABS(g.growth) >= t.growth_pct
      AND GREATEST(ABS(g.previous_wan), ABS(COALESCE(g.current_wan, 0))) >= t.min_amount_wan
)
SELECT f.region_code, f.year, f.fund_code, f.direction, f.item_code, f.item_name, f.measure,
       f.figure, f.base_wan, f.value_wan, n.text AS note
FROM flagged f
LEFT JOIN note n
       ON n.region_code = f.region_code AND n.year = f.year AND n.fund_code = f.fund_code
      AND n.item_code = f.item_code
