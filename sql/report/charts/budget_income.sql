-- Budget against actual per income item (the budget_income table's items; total and memo items left out).
SELECT e.fund_code, e.item_name AS category, s.series_key,
       CASE s.series_key WHEN 'budget' THEN e.budget_wan ELSE e.actual_wan END AS value
FROM budget_execution_rollup_v1 e
CROSS JOIN (VALUES ('budget', 1), ('actual', 2)) AS s (series_key, position)
JOIN item i ON i.fund_code = e.fund_code AND i.item_code = e.item_code
WHERE e.region_code = $region AND e.year = $year AND e.direction = 'income' AND NOT e.memo
ORDER BY e.fund_code, i.sort_order, s.position
