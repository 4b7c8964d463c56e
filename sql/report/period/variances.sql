-- The items whose progress lags elapsed time (序时进度) by more than period_threshold's
-- lag_points, per fund and report table, shown with their progress. Notes are annual (the note
-- table has no period), so each lagging item shows the placeholder until explained in the text.
SELECT e.fund_code, 'execution_' || e.direction AS report_table, e.direction, e.item_code,
       e.item_name,
       'progress' AS measure, CAST(e.progress AS VARCHAR) AS figure,
       CAST(NULL AS VARCHAR) AS note
FROM period_execution_v1 e
LEFT JOIN item i ON i.fund_code = e.fund_code AND i.item_code = e.item_code
WHERE e.region_code = $region AND e.period = $period AND e.lagging
ORDER BY e.fund_code, report_table, e.memo, e.item_code = 'total', i.sort_order
