-- The summary at the top of the period report: elapsed time (序时进度), how many items lag it by
-- more than the threshold, and the income and expense progress of all funds together.
SELECT CAST(MAX(elapsed) AS VARCHAR) AS elapsed,
       COUNT(*) FILTER (WHERE lagging) AS flagged,
       0 AS explained,
       COUNT(*) FILTER (WHERE lagging) AS missing
FROM period_execution_v1
WHERE region_code = $region AND period = $period
