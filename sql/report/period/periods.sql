-- The region and period pairs a period report can be made for: every month and quarter with
-- execution figures (a quarter also where monthly figures reach its last month).
SELECT DISTINCT p.region_code, r.name_zh AS region_name, p.period
FROM period_amount_v1 p
LEFT JOIN region r ON r.region_code = p.region_code
ORDER BY p.region_code, p.period
