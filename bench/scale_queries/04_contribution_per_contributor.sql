-- Contribution per contributor by region (county, city and province), fund and year:
-- contributions summed from the detail records per county, counted again for the county's city
-- and province (region.parent_code), over the headcount table's contributors.
-- bench: scan TRUE
WITH county AS (
    SELECT region_code, fund_code, year, SUM(amount_yuan) AS contribution_yuan
    FROM detail
    WHERE item_code = 'contribution'
    GROUP BY region_code, fund_code, year
),
counts_for AS (
    SELECT region_code AS county_code, region_code FROM region WHERE level = 'county'
    UNION ALL
    SELECT region_code, parent_code FROM region WHERE level = 'county' AND parent_code IS NOT NULL
    UNION ALL
    SELECT c.region_code, p.parent_code
    FROM region c JOIN region p ON p.region_code = c.parent_code
    WHERE c.level = 'county' AND p.parent_code IS NOT NULL
),
rolled_up AS (
    SELECT f.region_code, k.fund_code, k.year, SUM(k.contribution_yuan) AS contribution_yuan
    FROM county k
    JOIN counts_for f ON f.county_code = k.region_code
    GROUP BY f.region_code, k.fund_code, k.year
)
SELECT r.region_code, r.fund_code, r.year, r.contribution_yuan, h.persons AS contributors,
       CAST(r.contribution_yuan AS DOUBLE) / CAST(NULLIF(h.persons, 0) AS DOUBLE)
           AS per_contributor_yuan
FROM rolled_up r
LEFT JOIN headcount h
    ON h.region_code = r.region_code AND h.fund_code = r.fund_code AND h.year = r.year
   AND h.measure = 'contributors' AND h.breakdown = 'total' AND h.member = 'all'
   AND h.scenario = 'actual'
ORDER BY r.region_code, r.fund_code, r.year
