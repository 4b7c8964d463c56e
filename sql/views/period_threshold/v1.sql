-- When execution during the year lags elapsed time (序时进度) enough to flag: progress (cumulative
-- execution / budget × 100) more than lag_points percentage points (百分点) behind the share of the
-- year elapsed. The row with fund_code '*' applies to every fund without a row of its own. Used
-- by period_execution and the period report; to change a threshold, add a new version of this
-- view.
WITH settings (fund_code, lag_points) AS (
    VALUES
        ('*', 5.00)
),
defaults AS (
    SELECT * FROM settings WHERE fund_code = '*'
)
SELECT f.fund_code,
       CAST(COALESCE(s.lag_points, d.lag_points) AS DECIMAL(12, 2)) AS lag_points
FROM fund f
CROSS JOIN defaults d
LEFT JOIN settings s ON s.fund_code = f.fund_code
