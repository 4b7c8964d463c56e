-- Trend of the current balance (当期结余) up to the report's year, for funds with at least two
-- years of actuals.
WITH balances AS (
    SELECT fund_code, year, balance_wan
    FROM fund_balance_rollup_v1
    WHERE region_code = $region AND year <= $year AND balance_wan IS NOT NULL
)
SELECT fund_code, CAST(year AS VARCHAR) AS category, 'current_balance' AS series_key,
       balance_wan AS value
FROM balances
WHERE fund_code IN (SELECT fund_code FROM balances GROUP BY fund_code HAVING COUNT(*) >= 2)
ORDER BY fund_code, year
