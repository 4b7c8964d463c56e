-- Fund operation (基金运行): actual income, expense and current balance (当期结余) per fund and
-- year over the non-memo top-level items (the budget tables' totals); the same excluding
-- intergovernmental items and including memo accounts (own-source: 基金自身收支); the closing
-- balance (累计结余) where one is stated, the months of expenditure it covers
-- (closing / (expense / 12)) and the dependency ratio (active / retired) where both are counted.
WITH top_items AS (
    SELECT a.region_code, a.year, a.fund_code, a.item_code, i.direction, i.memo, i.category,
           a.amount_yuan
    FROM item_amount_v1 a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE a.scenario = 'actual' AND i.parent_code IS NULL
),
sums AS (
    SELECT region_code, year, fund_code,
           CAST(SUM(amount_yuan) FILTER (WHERE direction = 'income' AND NOT memo)
                AS DECIMAL(20, 2)) AS income_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE direction = 'expense' AND NOT memo)
                AS DECIMAL(20, 2)) AS expense_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE direction = 'income'
                                          AND category <> 'intergovernmental')
                AS DECIMAL(20, 2)) AS own_income_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE direction = 'expense'
                                          AND category <> 'intergovernmental')
                AS DECIMAL(20, 2)) AS own_expense_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE item_code = 'closing_balance')
                AS DECIMAL(20, 2)) AS closing_yuan
    FROM top_items
    GROUP BY region_code, year, fund_code
),
counts AS (
    SELECT region_code, year, fund_code,
           SUM(persons) FILTER (WHERE measure = 'active') AS active,
           SUM(persons) FILTER (WHERE measure = 'retired') AS retired
    FROM headcount
    WHERE breakdown = 'total' AND member = 'all' AND scenario = 'actual'
    GROUP BY region_code, year, fund_code
)
SELECT s.region_code, s.year, s.fund_code, f.name_zh AS fund_name,
       CAST(s.income_yuan / 10000 AS DECIMAL(18, 2)) AS income_wan,
       CAST(s.expense_yuan / 10000 AS DECIMAL(18, 2)) AS expense_wan,
       CAST((s.income_yuan - s.expense_yuan) / 10000 AS DECIMAL(18, 2)) AS balance_wan,
       CAST(s.own_income_yuan / 10000 AS DECIMAL(18, 2)) AS own_income_wan,
       CAST(s.own_expense_yuan / 10000 AS DECIMAL(18, 2)) AS own_expense_wan,
       CAST((s.own_income_yuan - s.own_expense_yuan) / 10000 AS DECIMAL(18, 2)) AS own_balance_wan,
       CAST(s.closing_yuan / 10000 AS DECIMAL(18, 2)) AS closing_balance_wan,
       CAST(s.closing_yuan * 12 / NULLIF(s.expense_yuan, 0) AS DECIMAL(12, 2)) AS months_covered,
       CAST(CAST(c.active AS DECIMAL(20, 0)) / NULLIF(c.retired, 0) AS DECIMAL(12, 2))
           AS dependency_ratio
FROM sums s
JOIN fund f ON f.fund_code = s.fund_code
LEFT JOIN counts c
       ON c.region_code = s.region_code AND c.year = s.year AND c.fund_code = s.fund_code
ORDER BY s.region_code, s.year, f.sort_order
