-- The region and year pairs a report can be made for: every pair with ledger rows.
SELECT DISTINCT l.region_code, r.name_zh AS region_name, l.year
FROM ledger l
LEFT JOIN region r ON r.region_code = l.region_code
ORDER BY l.region_code, l.year
