-- The ledger computed from detail records, for data folders that hold detail (`fundq gen`,
-- or a province's payment records) instead of a ledger: actual amounts summed per region,
-- year, fund and item, plus the budget table's planned amounts, each counted for its county
-- and again for the county's city and province (region.parent_code). Same columns as the
-- ledger table. Detail is read once: counties are summed first, then spread to their regions.
-- fundq: stands in for table ledger
WITH county AS (
    SELECT region_code, year, fund_code, item_code, 'actual' AS scenario,
           SUM(amount_yuan) AS amount_yuan
    FROM detail
    GROUP BY region_code, year, fund_code, item_code
    UNION ALL
    SELECT region_code, year, fund_code, item_code, scenario, amount_yuan
    FROM budget
),
-- Every county with the regions it counts for: itself, its city, its province.
counts_for AS (
    SELECT region_code AS county_code, region_code FROM region WHERE level = 'county'
    UNION ALL
    SELECT region_code, parent_code FROM region
    WHERE level = 'county' AND parent_code IS NOT NULL
    UNION ALL
    SELECT c.region_code, p.parent_code
    FROM region c JOIN region p ON p.region_code = c.parent_code
    WHERE c.level = 'county' AND p.parent_code IS NOT NULL
)
SELECT COALESCE(f.region_code, k.region_code) AS region_code, k.year, k.fund_code,
       k.item_code, k.scenario, CAST(SUM(k.amount_yuan) AS DECIMAL(18, 2)) AS amount_yuan
FROM county k
LEFT JOIN counts_for f ON f.county_code = k.region_code
GROUP BY COALESCE(f.region_code, k.region_code), k.year, k.fund_code, k.item_code, k.scenario
