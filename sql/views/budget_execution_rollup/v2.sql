-- budget_execution for every region of the tree, summed from its leaf regions (region_leaf):
-- budget and actual per top-level item in 万元, the execution rate recomputed from the summed
-- amounts (never averaged), deviation, and the item_code 'total' rows. Each leaf's budget is its
-- adjusted budget where it has one, else its budget, before the leaves are summed (a city whose
-- counties adjusted only some budgets gets the budgets in force). Same columns and rules as
-- budget_execution; for a leaf the figures equal budget_execution's.
--
-- v2: each leaf's budget is read from budget_basis (the one definition of the budget in force),
-- as budget_execution v2 reads it; for a leaf the figures equal budget_execution v2's.
WITH leaf_amounts AS (
    -- Each leaf's budget in force (budget_basis) and actual amount, per item.
    SELECT region_code, year, fund_code, item_code,
           MAX(budget_yuan) AS budget_yuan, MAX(actual_yuan) AS actual_yuan
    FROM (
        SELECT region_code, year, fund_code, item_code, budget_in_force_yuan AS budget_yuan,
               CAST(NULL AS DECIMAL(20, 2)) AS actual_yuan
        FROM budget_basis_v1
        UNION ALL
        SELECT region_code, year, fund_code, item_code, CAST(NULL AS DECIMAL(20, 2)),
               amount_yuan
        FROM item_amount_v1
        WHERE scenario = 'actual'
    ) u
    GROUP BY region_code, year, fund_code, item_code
),
amounts AS (
    SELECT t.region_code, a.year, a.fund_code, a.item_code,
           SUM(a.budget_yuan) AS budget_yuan, SUM(a.actual_yuan) AS actual_yuan
    FROM region_leaf_v1 t
    JOIN leaf_amounts a ON a.region_code = t.leaf_code
    GROUP BY t.region_code, a.year, a.fund_code, a.item_code
),
top_items AS (
    SELECT a.region_code, a.year, a.fund_code, i.direction, a.item_code,
           i.name_zh AS item_name, i.memo, i.sort_order,
           CAST(a.budget_yuan AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(a.actual_yuan AS DECIMAL(20, 2)) AS actual_yuan
    FROM amounts a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE i.parent_code IS NULL
      AND i.direction IN ('income', 'expense')
      AND (a.budget_yuan IS NOT NULL OR a.actual_yuan IS NOT NULL)
),
totals AS (
    SELECT region_code, year, fund_code, direction, 'total' AS item_code,
           CASE direction WHEN 'income' THEN '总收入' ELSE '总支出' END AS item_name,
           false AS memo, 2147483647 AS sort_order,
           CAST(SUM(budget_yuan) AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(SUM(actual_yuan) AS DECIMAL(20, 2)) AS actual_yuan
    FROM top_items
    WHERE NOT memo
    GROUP BY region_code, year, fund_code, direction
),
all_rows AS (
    SELECT * FROM top_items
    UNION ALL
    SELECT * FROM totals
)
SELECT r.region_code, r.year, r.fund_code, f.name_zh AS fund_name, r.direction,
       r.item_code, r.item_name,
       CAST(r.budget_yuan / 10000 AS DECIMAL(18, 2)) AS budget_wan,
       CAST(r.actual_yuan / 10000 AS DECIMAL(18, 2)) AS actual_wan,
       CAST(r.actual_yuan * 100 / NULLIF(r.budget_yuan, 0) AS DECIMAL(12, 2)) AS execution_rate,
       CAST((r.actual_yuan - r.budget_yuan) / 10000 AS DECIMAL(18, 2)) AS deviation_wan,
       r.memo
FROM all_rows r
JOIN fund f ON f.fund_code = r.fund_code
ORDER BY r.region_code, r.year, f.sort_order,
         CASE r.direction WHEN 'income' THEN 1 ELSE 2 END, r.sort_order
