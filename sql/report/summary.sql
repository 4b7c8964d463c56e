-- The summary at the top of the report: how many variances need an explanation, how many the
-- note table explains, how many still lack one.
SELECT COUNT(*) AS flagged,
       COUNT(note) AS explained,
       COUNT(*) - COUNT(note) AS missing
FROM variance_flag_v1
WHERE region_code = $region AND year = $year
