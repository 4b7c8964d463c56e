-- Budget execution (预算执行率): budget and actual per top-level item in 万元, execution rate
-- (actual / budget × 100, %) and deviation (actual − budget, 万元), plus an item_code 'total'
-- row per fund and direction summing the non-memo items. The budget is the adjusted budget
-- where one exists. Rates are rounded half-up from unrounded amounts; a zero or missing budget
-- gives a NULL rate.
--
-- v2: the budget is read from budget_basis, the one definition of the budget in force. v1 chose
-- between adjusted budget and budget after deriving a parent from its children scenario by
-- scenario, so a parent whose parts were adjusted only in part got the adjusted parts alone as
-- its budget; v2 sums each part's budget in force. Same columns.
WITH amounts AS (
    -- One row per item: its budget in force (budget_basis: the adjusted budget where there is
    -- one, else the budget) and its actual amount (item_amount).
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
