-- warning: a negative closing balance (累计结余) of a region, stated by a leaf or summed from the
-- leaves for a city or province (fund_balance_rollup): the fund has spent more than it holds.
SELECT 'warning' AS severity, b.region_code, b.year, b.fund_code, 'closing_balance' AS item_code,
       g.level || ' ' || g.name_zh || ': closing balance ' || CAST(b.closing_balance_wan AS VARCHAR)
           || ' 万元 is negative' AS message
FROM fund_balance_rollup_v1 b
JOIN region g ON g.region_code = b.region_code
WHERE b.closing_balance_wan < 0
