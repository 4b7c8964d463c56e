-- Early warnings (基金预警) of the region and of its children: the months of expenditure the
-- closing balance covers against the bands of warning_threshold (fund_warning: a city or
-- province judged on its figures summed from its leaves), with the rule each rests on; the
-- children's rows are nested under the region's own (_level 1).
SELECT fund_code, region_name, warning AS warning_key, closing_balance_wan, months_covered,
       basis, CASE WHEN region_code = $region THEN 0 ELSE 1 END AS _level
FROM fund_warning_v1
WHERE (region_code = $region OR parent_code = $region) AND year = $year
ORDER BY fund_code, region_code <> $region, months_covered, region_code
