-- Contributions of child items to a change of variance_driver (actual against budget, measure
-- 'execution_rate', or against the year before, 'growth'): one row per child with its base,
-- value and contribution (value − base, 万元) and its share of the change (%, from exact yuan;
-- NULL when the change is zero). The children of an item are its direct children in the item tree (其中 items
-- left out, they are parts, not a breakdown); the children of a fund's total are its top-level
-- items outside the memo accounts, as in budget_execution. Only where both sides state at least
-- one child (a child stated on one side counts as 0 on the other). A row with kind
-- 'unallocated' and no child_code carries what the children do not explain — a stated parent
-- that differs from its stated children, or the rounding of the children to 万元 — so the rows of
-- a change add up to its change_wan exactly. `flagged` is variance_driver's.
WITH amounts AS (
    SELECT region_code, year, fund_code, item_code,
           CAST(COALESCE(
               SUM(amount_yuan) FILTER (WHERE scenario = 'adjusted_budget'),
               SUM(amount_yuan) FILTER (WHERE scenario = 'budget')
           ) AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE scenario = 'actual') AS DECIMAL(20, 2))
               AS actual_yuan
    FROM item_amount_v1
    GROUP BY region_code, year, fund_code, item_code
),
-- parent_code is the item's parent, or 'total' for a top-level item of a fund's totals.
tree AS (
    SELECT fund_code, item_code, name_zh AS item_name, direction, sort_order, parent_code
    FROM item
    WHERE parent_code IS NOT NULL AND NOT of_which
    UNION ALL
    SELECT fund_code, item_code, name_zh AS item_name, direction, sort_order,
           'total' AS parent_code
    FROM item
    WHERE parent_code IS NULL AND direction IN ('income', 'expense') AND NOT memo
),
-- Each change's children with their amounts on both sides (NULL where not stated).
children AS (
    SELECT d.region_code, d.year, d.fund_code, d.direction, d.item_code, d.measure, d.flagged,
           d.change_wan, t.item_code AS child_code, t.item_name AS child_name, t.sort_order,
           CASE d.measure WHEN 'execution_rate' THEN b.budget_yuan ELSE b.actual_yuan END
               AS base_yuan,
           v.actual_yuan AS value_yuan,
           CASE d.measure WHEN 'execution_rate' THEN pb.budget_yuan ELSE pb.actual_yuan END
               AS parent_base_yuan,
           pv.actual_yuan AS parent_value_yuan
    FROM variance_driver_v1 d
    JOIN tree t
      ON t.fund_code = d.fund_code AND t.parent_code = d.item_code AND t.direction = d.direction
    LEFT JOIN amounts b
           ON b.region_code = d.region_code AND b.year = d.base_year
          AND b.fund_code = d.fund_code AND b.item_code = t.item_code
    LEFT JOIN amounts v
           ON v.region_code = d.region_code AND v.year = d.year
          AND v.fund_code = d.fund_code AND v.item_code = t.item_code
    -- the parent's own amounts (a fund's total has none: it is the sum of its children)
    LEFT JOIN amounts pb
           ON pb.region_code = d.region_code AND pb.year = d.base_year
          AND pb.fund_code = d.fund_code AND pb.item_code = d.item_code
    LEFT JOIN amounts pv
           ON pv.region_code = d.region_code AND pv.year = d.year
          AND pv.fund_code = d.fund_code AND pv.item_code = d.item_code
),
-- Changes whose children are stated on both sides.
broken_down AS (
    SELECT region_code, year, fund_code, direction, item_code, measure
    FROM children
    GROUP BY region_code, year, fund_code, direction, item_code, measure
    HAVING COUNT(base_yuan) > 0 AND COUNT(value_yuan) > 0
),
child_parts AS (
    SELECT c.region_code, c.year, c.fund_code, c.direction, c.item_code, c.measure, c.flagged,
           c.change_wan, 'child' AS kind, c.child_code, c.child_name, c.sort_order,
           c.base_yuan, c.value_yuan,
           COALESCE(c.value_yuan, 0) - COALESCE(c.base_yuan, 0) AS contribution_yuan,
           COALESCE(c.parent_value_yuan - c.parent_base_yuan,
                    SUM(COALESCE(c.value_yuan, 0) - COALESCE(c.base_yuan, 0)) OVER (
                        PARTITION BY c.region_code, c.year, c.fund_code, c.direction,
                                     c.item_code, c.measure)) AS change_yuan
    FROM children c
    JOIN broken_down k
      ON k.region_code = c.region_code AND k.year = c.year AND k.fund_code = c.fund_code
     AND k.direction = c.direction AND k.item_code = c.item_code AND k.measure = c.measure
    WHERE c.base_yuan IS NOT NULL OR c.value_yuan IS NOT NULL
),
parts AS (
    SELECT region_code, year, fund_code, direction, item_code, measure, flagged, change_wan,
           kind, child_code, child_name, sort_order,
           CAST(base_yuan / 10000 AS DECIMAL(18, 2)) AS base_wan,
           CAST(value_yuan / 10000 AS DECIMAL(18, 2)) AS value_wan,
           CAST(contribution_yuan / 10000 AS DECIMAL(18, 2)) AS contribution_wan,
           contribution_yuan, change_yuan
    FROM child_parts
),
unallocated AS (
    SELECT region_code, year, fund_code, direction, item_code, measure, flagged, change_wan,
           'unallocated' AS kind, CAST(NULL AS VARCHAR) AS child_code,
           CAST(NULL AS VARCHAR) AS child_name, 2147483647 AS sort_order,
           CAST(NULL AS DECIMAL(18, 2)) AS base_wan, CAST(NULL AS DECIMAL(18, 2)) AS value_wan,
           CAST(change_wan - SUM(contribution_wan) AS DECIMAL(18, 2)) AS contribution_wan,
           change_yuan - SUM(contribution_yuan) AS contribution_yuan, change_yuan
    FROM parts
    GROUP BY region_code, year, fund_code, direction, item_code, measure, flagged, change_wan,
             change_yuan
    HAVING change_wan <> SUM(contribution_wan)
),
all_parts AS (
    SELECT * FROM parts
    UNION ALL
    SELECT * FROM unallocated
)
SELECT region_code, year, fund_code, direction, item_code, measure, flagged, kind, child_code,
       child_name, base_wan, value_wan, contribution_wan,
       CAST(contribution_yuan * 100 / NULLIF(change_yuan, 0) AS DECIMAL(12, 2)) AS share
FROM all_parts
ORDER BY region_code, year, fund_code, measure, direction, item_code, sort_order
