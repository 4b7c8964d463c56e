-- Budget execution, income (预算执行): budget, actual and execution rate per top-level item and the
-- total; _flagged marks a rate that needs an explanation (variance_flag), memo items (备查账,
-- outside the total) come last.
SELECT e.fund_code, e.item_name,
       CASE WHEN e.memo THEN 'memo' END AS kind_key,
       e.budget_wan, e.actual_wan, e.execution_rate, e.deviation_wan,
       v.item_code IS NOT NULL AS _flagged,
       e.item_code = 'total' AS _total
FROM budget_execution_rollup_v1 e
LEFT JOIN variance_flag_v1 v
       ON v.region_code = e.region_code AND v.year = e.year AND v.fund_code = e.fund_code
      AND v.direction = e.direction AND v.item_code = e.item_code
      AND v.measure = 'execution_rate'
LEFT JOIN item i ON i.fund_code = e.fund_code AND i.item_code = e.item_code
WHERE e.region_code = $region AND e.year = $year AND e.direction = 'income'
ORDER BY e.memo, e.item_code = 'total', i.sort_order
