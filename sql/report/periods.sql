-- The region and year pairs a report can be made for: every pair with ledger rows, and every
-- city and province above them (a roll-up of its counties, item_amount_rollup).
SELECT DISTINCT a.region_code, r.name_zh AS region_name, a.year
FROM item_amount_rollup_v1 a
LEFT JOIN region r ON r.region_code = a.region_code
ORDER BY a.region_code, a.year
