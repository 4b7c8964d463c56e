-- yoy_growth for every region of the tree, from item_amount_rollup (actual amounts summed over
-- the leaf regions): current and previous per top-level item in 万元, growth recomputed from the
-- summed amounts (never averaged), change, and the item_code 'total' rows. Same columns and rules
-- as yoy_growth; for a leaf the figures equal yoy_growth's.
WITH actuals AS (
    SELECT region_code, year, fund_code, item_code,
           CAST(SUM(amount_yuan) AS DECIMAL(20, 2)) AS actual_yuan
    FROM item_amount_rollup_v1
    WHERE scenario = 'actual'
    GROUP BY region_code, year, fund_code, item_code
),
years AS (
    SELECT DISTINCT region_code, year, fund_code FROM item_amount_rollup_v1 WHERE scenario = 'actual'
),
top_items AS (
    SELECT y.region_code, y.year, y.fund_code, i.direction, i.item_code,
           i.name_zh AS item_name, i.memo, i.sort_order,
           cur.actual_yuan AS current_yuan, prev.actual_yuan AS previous_yuan
    FROM years y
    JOIN item i ON i.fund_code = y.fund_code
    LEFT JOIN actuals cur
           ON cur.region_code = y.region_code AND cur.year = y.year
          AND cur.fund_code = y.fund_code AND cur.item_code = i.item_code
    LEFT JOIN actuals prev
           ON prev.region_code = y.region_code AND prev.year = y.year - 1
          AND prev.fund_code = y.fund_code AND prev.item_code = i.item_code
    WHERE i.parent_code IS NULL
      AND i.direction IN ('income', 'expense')
      AND (cur.actual_yuan IS NOT NULL OR prev.actual_yuan IS NOT NULL)
),
totals AS (
    SELECT region_code, year, fund_code, direction, 'total' AS item_code,
           CASE direction WHEN 'income' THEN '总收入' ELSE '总支出' END AS item_name,
           false AS memo, 2147483647 AS sort_order,
           CAST(SUM(current_yuan) AS DECIMAL(20, 2)) AS current_yuan,
           CAST(SUM(previous_yuan) AS DECIMAL(20, 2)) AS previous_yuan
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
       CAST(r.current_yuan / 10000 AS DECIMAL(18, 2)) AS current_wan,
       CAST(r.previous_yuan / 10000 AS DECIMAL(18, 2)) AS previous_wan,
       CAST((r.current_yuan - r.previous_yuan) * 100 / NULLIF(r.previous_yuan, 0)
            AS DECIMAL(12, 2)) AS growth,
       CAST((r.current_yuan - r.previous_yuan) / 10000 AS DECIMAL(18, 2)) AS change_wan,
       r.memo
FROM all_rows r
JOIN fund f ON f.fund_code = r.fund_code
ORDER BY r.region_code, r.year, f.sort_order,
         CASE r.direction WHEN 'income' THEN 1 ELSE 2 END, r.sort_order
