-- Progress of each item against elapsed time (序时进度), per fund (total and memo items left out).
SELECT e.fund_code, e.item_name AS category, s.series_key,
       CASE s.series_key WHEN 'progress' THEN e.progress ELSE e.elapsed END AS value
FROM period_execution_v1 e
CROSS JOIN (VALUES ('progress', 1), ('elapsed', 2)) AS s (series_key, position)
JOIN item i ON i.fund_code = e.fund_code AND i.item_code = e.item_code
WHERE e.region_code = $region AND e.period = $period AND NOT e.memo
  AND e.progress IS NOT NULL
ORDER BY e.fund_code, e.direction DESC, i.sort_order, s.position
