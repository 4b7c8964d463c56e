-- Per-capita benefit by county, fund and year: benefit paid over the distinct persons who
-- received any (COUNT(DISTINCT person_id) over the expense records).
-- bench: scan TRUE
WITH paid AS (
    SELECT region_code, fund_code, year,
           SUM(amount_yuan) AS benefit_yuan,
           COUNT(DISTINCT person_id) AS beneficiaries
    FROM detail
    WHERE item_code IN ('pension_benefit', 'basic_pension', 'benefit')
    GROUP BY region_code, fund_code, year
)
SELECT region_code, fund_code, year, benefit_yuan, beneficiaries,
       CAST(benefit_yuan AS DOUBLE) / CAST(NULLIF(beneficiaries, 0) AS DOUBLE) AS per_capita_yuan
FROM paid
ORDER BY region_code, fund_code, year
