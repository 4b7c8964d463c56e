-- Benefit standards (待遇水平): each monthly standard of the year (元/月) against the same
-- standard in the earliest earlier year the table has, and the increase since then.
WITH base_year AS (
    SELECT fund_code, MIN(year) AS year
    FROM benefit_standard
    WHERE region_code = $region AND year < $year
    GROUP BY fund_code
)
SELECT c.fund_code, c.benefit AS benefit_key, c.grade AS grade_key,
       c.monthly_amount_yuan AS monthly_yuan, b.year AS base_year,
       p.monthly_amount_yuan AS base_monthly_yuan,
       c.monthly_amount_yuan - p.monthly_amount_yuan AS increase_yuan
FROM benefit_standard c
LEFT JOIN base_year b ON b.fund_code = c.fund_code
LEFT JOIN benefit_standard p
       ON p.region_code = c.region_code AND p.year = b.year AND p.fund_code = c.fund_code
      AND p.benefit = c.benefit AND p.grade = c.grade
WHERE c.region_code = $region AND c.year = $year
ORDER BY c.fund_code, c.benefit DESC, c.monthly_amount_yuan DESC, c.grade
