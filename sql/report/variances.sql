-- The variances that need an explanation, per fund and report table (the tables' file names
-- without their number), with the note that explains them (NULL: the report shows a placeholder).
SELECT v.fund_code,
       CASE v.measure WHEN 'execution_rate' THEN 'budget_' ELSE 'yoy_' END || v.direction
           AS report_table,
       v.direction, v.item_code, v.item_name, v.measure, v.figure, v.base_wan, v.value_wan, v.note
FROM variance_flag_v1 v
LEFT JOIN item i ON i.fund_code = v.fund_code AND i.item_code = v.item_code
WHERE v.region_code = $region AND v.year = $year
ORDER BY v.fund_code, report_table, i.memo, v.item_code = 'total', i.sort_order
