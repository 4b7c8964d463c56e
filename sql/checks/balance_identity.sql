-- error: opening balance + income − expense differs from the closing balance, where all are
-- known. The opening balance is the stated opening_balance item, else the previous year's
-- closing_balance; income and expense are the budget-table totals (non-memo top-level items).
WITH actual AS (
    SELECT region_code, year, fund_code, item_code, amount_yuan
    FROM item_amount_v1
    WHERE scenario = 'actual'
),
flows AS (
    SELECT a.region_code, a.year, a.fund_code,
           SUM(a.amount_yuan) FILTER (WHERE i.direction = 'income') AS income_yuan,
           SUM(a.amount_yuan) FILTER (WHERE i.direction = 'expense') AS expense_yuan
    FROM actual a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE i.parent_code IS NULL AND NOT i.memo
    GROUP BY a.region_code, a.year, a.fund_code
),
balances AS (
    SELECT f.region_code, f.year, f.fund_code, f.income_yuan, f.expense_yuan,
           COALESCE(o.amount_yuan, p.amount_yuan) AS opening_yuan, c.amount_yuan AS closing_yuan
    FROM flows f
    JOIN actual c
      ON c.region_code = f.region_code AND c.year = f.year AND c.fund_code = f.fund_code
     AND c.item_code = 'closing_balance'
    LEFT JOIN actual o
      ON o.region_code = f.region_code AND o.year = f.year AND o.fund_code = f.fund_code
     AND o.item_code = 'opening_balance'
    LEFT JOIN actual p
      ON p.region_code = f.region_code AND p.year = f.year - 1 AND p.fund_code = f.fund_code
     AND p.item_code = 'closing_balance'
)
SELECT 'error' AS severity, region_code, year, fund_code, 'closing_balance' AS item_code,
       'opening ' || CAST(CAST(opening_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' + income ' || CAST(CAST(income_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' − expense ' || CAST(CAST(expense_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' = ' || CAST(CAST((opening_yuan + income_yuan - expense_yuan) / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' 万元 but the closing balance is '
           || CAST(CAST(closing_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR) || ' 万元' AS message
FROM balances
WHERE opening_yuan IS NOT NULL AND income_yuan IS NOT NULL AND expense_yuan IS NOT NULL
  AND opening_yuan + income_yuan - expense_yuan <> closing_yuan
