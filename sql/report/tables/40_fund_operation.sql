-- Fund operation (基金运行情况): income, expense and current balance of the budget tables, the
-- own-source figures (基金自身收支, without intergovernmental items, memo accounts included),
-- the closing balance, the months of expenditure it covers and the dependency ratio, one row per
-- figure the ledger gives; then contributions minus basic pensions (保险费收入 − 基本养老金支出),
-- computed as report_figure does (reading report_figure itself would plan every standard view).
SELECT b.fund_code, m.measure_key,
       CAST(CASE m.measure_key
           WHEN 'income_total' THEN b.income_wan
           WHEN 'expense_total' THEN b.expense_wan
           WHEN 'current_balance' THEN b.balance_wan
           WHEN 'own_income_total' THEN b.own_income_wan
           WHEN 'own_expense_total' THEN b.own_expense_wan
           WHEN 'own_balance' THEN b.own_balance_wan
           WHEN 'closing_balance' THEN b.closing_balance_wan
           WHEN 'months_covered' THEN b.months_covered
           WHEN 'dependency_ratio' THEN b.dependency_ratio
           WHEN 'contribution_minus_pension' THEN
               CAST((c.amount_yuan - p.amount_yuan) / 10000 AS DECIMAL(18, 2))
       END AS DECIMAL(18, 2)) AS value,
       m.unit_key
FROM fund_balance_rollup_v1 b
CROSS JOIN (VALUES
    (1, 'income_total', 'wan'), (2, 'expense_total', 'wan'), (3, 'current_balance', 'wan'),
    (4, 'own_income_total', 'wan'), (5, 'own_expense_total', 'wan'), (6, 'own_balance', 'wan'),
    (7, 'closing_balance', 'wan'), (8, 'months_covered', 'months'),
    (9, 'dependency_ratio', 'ratio'), (10, 'contribution_minus_pension', 'wan')
) AS m (position, measure_key, unit_key)
LEFT JOIN item_amount_rollup_v1 c
       ON c.region_code = b.region_code AND c.year = b.year AND c.fund_code = b.fund_code
      AND c.scenario = 'actual' AND c.item_code = 'contribution'
LEFT JOIN item_amount_rollup_v1 p
       ON p.region_code = b.region_code AND p.year = b.year AND p.fund_code = b.fund_code
      AND p.scenario = 'actual' AND p.item_code = 'basic_pension'
WHERE b.region_code = $region AND b.year = $year
  AND CASE m.measure_key
          WHEN 'closing_balance' THEN b.closing_balance_wan IS NOT NULL
          WHEN 'months_covered' THEN b.months_covered IS NOT NULL
          WHEN 'dependency_ratio' THEN b.dependency_ratio IS NOT NULL
          WHEN 'contribution_minus_pension' THEN c.amount_yuan IS NOT NULL
                                                 AND p.amount_yuan IS NOT NULL
          ELSE true
      END
ORDER BY b.fund_code, m.position
