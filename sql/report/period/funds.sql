-- The period report's chapters: every fund with execution figures for the region and period.
SELECT f.fund_code, f.name_zh, f.name_en
FROM fund f
WHERE f.fund_code IN (
    SELECT fund_code FROM period_amount_v1 WHERE region_code = $region AND period = $period
)
ORDER BY f.sort_order, f.fund_code
