-- warning: the cumulative figure of a year's last period (December or Q4, ledger_period) differs
-- from the annual actual of the ledger for the same item. Execution reported during the year and
-- the final accounts (决算) can legitimately differ by year-end adjustments, so this warns.
SELECT 'warning' AS severity, p.region_code, p.year, p.fund_code, p.item_code,
       p.period || ' cumulative ' || CAST(CAST(p.cumulative_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' 万元 but the annual actual is '
           || CAST(CAST(a.amount_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR) || ' 万元' AS message
FROM period_amount_v1 p
JOIN item_amount_v1 a
  ON a.region_code = p.region_code AND a.year = p.year AND a.fund_code = p.fund_code
 AND a.item_code = p.item_code AND a.scenario = 'actual'
WHERE p.end_month = 12 AND p.cumulative_yuan <> a.amount_yuan
