-- Per-capita figures (人均): the figure of the year and of the year before, and its growth. A
-- figure in 元 per person and one in 万元 per person (4 decimals, as the report prints pensions)
-- go to their own columns so each keeps its decimals.
SELECT fund_code, indicator AS indicator_key, numerator_wan, denominator,
       CASE WHEN unit = '元/人' THEN CAST(value AS DECIMAL(20, 2)) END AS per_person_yuan,
       CASE WHEN unit = '元/人' THEN CAST(previous AS DECIMAL(20, 2)) END AS previous_yuan,
       CASE WHEN unit = '万元/人' THEN value END AS per_person_wan,
       CASE WHEN unit = '万元/人' THEN previous END AS previous_per_person_wan,
       growth
FROM per_capita_rollup_v1
WHERE region_code = $region AND year = $year
ORDER BY fund_code, indicator
