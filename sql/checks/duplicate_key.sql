-- error: a key appears more than once in a scenario (possible in tables written by other tools
-- or in plain Parquet tables; fundq's import refuses duplicates). Ledger keys are
-- (region, year, fund, item, scenario); headcount keys add measure, breakdown and member, shown
-- in item_code as `measure:breakdown=member`.
SELECT 'error' AS severity, region_code, year, fund_code, item_code,
       'ledger ' || scenario || ': stated ' || CAST(COUNT(*) AS VARCHAR) || ' times' AS message
FROM ledger
GROUP BY region_code, year, fund_code, item_code, scenario
HAVING COUNT(*) > 1
UNION ALL
SELECT 'error' AS severity, region_code, year, fund_code,
       measure || ':' || breakdown || '=' || member AS item_code,
       'headcount ' || scenario || ': stated ' || CAST(COUNT(*) AS VARCHAR) || ' times' AS message
FROM headcount
GROUP BY region_code, year, fund_code, measure, breakdown, member, scenario
HAVING COUNT(*) > 1
