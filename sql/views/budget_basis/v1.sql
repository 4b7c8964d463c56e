-- The budget in force (helper), the one definition of the adjusted-or-budget rule: per region,
-- year, fund and item, in exact yuan, the year's budget (年预算数), the adjusted budget
-- (调整后预算数) and the budget in force: the adjusted budget where the item has one, else its
-- budget. An item not stated itself takes its stated direct children (其中 items excluded, as in
-- item_amount), each child's budget in force summed: a child without an adjustment counts with
-- its budget, never as nothing. adjusted says whether any part of the figure was adjusted; where
-- none was, adjusted_budget_yuan is NULL, as the ledger states it. A total over items (a fund's
-- income, a city's budget) is the sum of its parts' budget_in_force_yuan, never the budget or the
-- adjusted budget alone. budget_execution, budget_execution_rollup and period_execution (v2)
-- read their budgets here.
WITH stated AS (
    SELECT region_code, year, fund_code, item_code,
           CAST(SUM(amount_yuan) FILTER (WHERE scenario = 'budget') AS DECIMAL(20, 2))
               AS budget_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE scenario = 'adjusted_budget') AS DECIMAL(20, 2))
               AS adjusted_budget_yuan
    FROM ledger
    WHERE scenario IN ('budget', 'adjusted_budget')
    GROUP BY region_code, year, fund_code, item_code
),
stated_in_force AS (
    SELECT region_code, year, fund_code, item_code, budget_yuan, adjusted_budget_yuan,
           COALESCE(adjusted_budget_yuan, budget_yuan) AS budget_in_force_yuan,
           adjusted_budget_yuan IS NOT NULL AS adjusted, false AS derived
    FROM stated
),
from_children AS (
    SELECT s.region_code, s.year, s.fund_code, i.parent_code AS item_code,
           CAST(SUM(s.budget_yuan) AS DECIMAL(20, 2)) AS budget_yuan,
           CASE WHEN BOOL_OR(s.adjusted)
                THEN CAST(SUM(s.budget_in_force_yuan) AS DECIMAL(20, 2)) END
               AS adjusted_budget_yuan,
           CAST(SUM(s.budget_in_force_yuan) AS DECIMAL(20, 2)) AS budget_in_force_yuan,
           BOOL_OR(s.adjusted) AS adjusted, true AS derived
    FROM stated_in_force s
    JOIN item i ON i.fund_code = s.fund_code AND i.item_code = s.item_code
    WHERE i.parent_code IS NOT NULL AND NOT i.of_which
    GROUP BY s.region_code, s.year, s.fund_code, i.parent_code
)
SELECT * FROM stated_in_force
UNION ALL
SELECT c.* FROM from_children c
WHERE NOT EXISTS (
    SELECT 1 FROM stated s
    WHERE s.region_code = c.region_code AND s.year = c.year AND s.fund_code = c.fund_code
      AND s.item_code = c.item_code
)
