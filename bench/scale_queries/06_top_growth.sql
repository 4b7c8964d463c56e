-- The ten counties with the fastest growth of contribution income per fund and year (against
-- the year before: LAG over the years, then ROW_NUMBER over the growth rates). Ties in growth
-- are broken by region code, so the ten are the same in every engine.
-- bench: scan TRUE
WITH income AS (
    SELECT region_code, fund_code, year, SUM(amount_yuan) AS income_yuan
    FROM detail
    WHERE item_code = 'contribution'
    GROUP BY region_code, fund_code, year
),
with_previous AS (
    SELECT region_code, fund_code, year, income_yuan,
           LAG(income_yuan) OVER (PARTITION BY region_code, fund_code ORDER BY year)
               AS previous_yuan
    FROM income
),
growth AS (
    SELECT region_code, fund_code, year, income_yuan, previous_yuan,
           CAST(income_yuan - previous_yuan AS DOUBLE) * 100 / CAST(previous_yuan AS DOUBLE)
               AS growth
    FROM with_previous
    WHERE previous_yuan > 0
),
ranked AS (
    SELECT region_code, fund_code, year, income_yuan, previous_yuan, growth,
           ROW_NUMBER() OVER (PARTITION BY fund_code, year ORDER BY growth DESC, region_code)
               AS growth_rank
    FROM growth
)
SELECT fund_code, year, growth_rank, region_code, income_yuan, previous_yuan, growth
FROM ranked
WHERE growth_rank <= 10
ORDER BY fund_code, year, growth_rank
