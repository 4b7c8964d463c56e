-- Year over year, expense (同期增长): actual of the year and of the year before per top-level item
-- and the total; _flagged marks a growth that needs an explanation (variance_flag).
SELECT g.fund_code, g.item_name,
       CASE WHEN g.memo THEN 'memo' END AS kind_key,
       g.current_wan, g.previous_wan, g.growth, g.change_wan,
       v.item_code IS NOT NULL AS _flagged,
       g.item_code = 'total' AS _total
FROM yoy_growth_rollup_v1 g
LEFT JOIN variance_flag_v1 v
       ON v.region_code = g.region_code AND v.year = g.year AND v.fund_code = g.fund_code
      AND v.direction = g.direction AND v.item_code = g.item_code AND v.measure = 'growth'
LEFT JOIN item i ON i.fund_code = g.fund_code AND i.item_code = g.item_code
WHERE g.region_code = $region AND g.year = $year AND g.direction = 'expense'
ORDER BY g.memo, g.item_code = 'total', i.sort_order
