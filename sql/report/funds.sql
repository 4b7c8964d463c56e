-- The report's chapters: every fund with ledger rows for the region (or, for a city or province,
-- its counties) and year, in fund order.
SELECT f.fund_code, f.name_zh, f.name_en
FROM fund f
WHERE f.fund_code IN (
    SELECT fund_code FROM item_amount_rollup_v1 WHERE region_code = $region AND year = $year
)
ORDER BY f.sort_order, f.fund_code
