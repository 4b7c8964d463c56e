-- info: an execution rate or a year-over-year growth beyond the thresholds of the
-- check_threshold view (defaults |rate − 100| ≥ 10, |growth| ≥ 10, items of at least 10 万元)
-- needs an explanation (说明) in the report; the message says whether the note table has one.
WITH flagged AS (
    SELECT e.region_code, e.year, e.fund_code, e.item_code,
           e.item_name || ': execution rate ' || CAST(e.execution_rate AS VARCHAR) || '% (budget '
               || CAST(e.budget_wan AS VARCHAR) || ', actual ' || CAST(e.actual_wan AS VARCHAR)
               || ' 万元)' AS figure
    FROM budget_execution_v1 e
    JOIN check_threshold t ON t.fund_code = e.fund_code
    WHERE ABS(e.execution_rate - 100) >= t.rate_deviation_pct
      AND GREATEST(ABS(e.budget_wan), ABS(COALESCE(e.actual_wan, 0))) >= t.min_amount_wan
    UNION ALL
    SELECT g.region_code, g.year, g.fund_code, g.item_code,
           g.item_name || ': growth ' || CAST(g.growth AS VARCHAR) || '% (previous '
               || CAST(g.previous_wan AS VARCHAR) || ', current '
               || COALESCE(CAST(g.current_wan AS VARCHAR), 'none') || ' 万元)' AS figure
    FROM yoy_growth_v1 g
    JOIN check_threshold t ON t.fund_code = g.fund_code
    WHERE ABS(g.growth) >= t.growth_pct
      AND GREATEST(ABS(g.previous_wan), ABS(COALESCE(g.current_wan, 0))) >= t.min_amount_wan
)
SELECT 'info' AS severity, f.region_code, f.year, f.fund_code, f.item_code,
       f.figure || CASE WHEN n.text IS NULL THEN ': needs an explanation'
                        ELSE ': explained in the note table' END AS message
FROM flagged f
LEFT JOIN note n
       ON n.region_code = f.region_code AND n.year = f.year AND n.fund_code = f.fund_code
      AND n.item_code = f.item_code
