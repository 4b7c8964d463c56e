-- Income against expense per fund (the budget tables' totals), for the whole report.
SELECT NULL AS fund_code, b.fund_code AS category_key, s.series_key,
       CASE s.series_key WHEN 'income_total' THEN b.income_wan ELSE b.expense_wan END AS value
FROM fund_balance_rollup_v1 b
CROSS JOIN (VALUES ('income_total', 1), ('expense_total', 2)) AS s (series_key, position)
JOIN fund f ON f.fund_code = b.fund_code
WHERE b.region_code = $region AND b.year = $year
ORDER BY f.sort_order, s.position
