-- Budget execution of income (收入) in the period: the year's budget and adjusted budget, the
-- period's and the cumulative execution, the same cumulative figure a year before, progress
-- against the budget, growth, and the gap to elapsed time (序时进度) in percentage points;
-- _flagged marks progress lagging elapsed time by more than period_threshold's lag_points.
SELECT e.fund_code, e.item_name,
       CASE WHEN e.memo THEN 'memo' END AS kind_key,
       e.budget_wan, e.adjusted_budget_wan, e.period_actual_wan, e.cumulative_wan,
       e.previous_cumulative_wan, e.progress, e.growth, e.gap_points,
       e.lagging AS _flagged,
       e.item_code = 'total' AS _total
FROM period_execution_v1 e
LEFT JOIN item i ON i.fund_code = e.fund_code AND i.item_code = e.item_code
WHERE e.region_code = $region AND e.period = $period AND e.direction = 'income'
ORDER BY e.memo, e.item_code = 'total', i.sort_order
