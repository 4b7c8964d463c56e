-- The report's chapters: every fund with ledger rows for the region and year, in fund order.
SELECT f.fund_code, f.name_zh, f.name_en
FROM fund f
WHERE f.fund_code IN (
    SELECT fund_code FROM ledger WHERE region_code = $region AND year = $year
)
ORDER BY f.sort_order, f.fund_code
