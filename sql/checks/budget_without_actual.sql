-- warning: a budget-table item (top-level income or expense item) has a budget but no actual,
-- or an actual but no budget, in a region, year and fund that has both budgets and actuals.
-- Years with only actuals (a previous year kept for year-over-year growth) are not checked.
WITH amounts AS (
    SELECT a.region_code, a.year, a.fund_code, a.item_code,
           BOOL_OR(a.scenario IN ('budget', 'adjusted_budget')) AS has_budget,
           BOOL_OR(a.scenario = 'actual') AS has_actual
    FROM item_amount_v1 a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE i.parent_code IS NULL AND i.direction IN ('income', 'expense')
    GROUP BY a.region_code, a.year, a.fund_code, a.item_code
),
slices AS (
    SELECT region_code, year, fund_code
    FROM ledger
    GROUP BY region_code, year, fund_code
    HAVING BOOL_OR(scenario IN ('budget', 'adjusted_budget')) AND BOOL_OR(scenario = 'actual')
)
SELECT 'warning' AS severity, a.region_code, a.year, a.fund_code, a.item_code,
       CASE WHEN a.has_budget THEN 'budgeted but no actual is stated'
            ELSE 'an actual is stated but no budget' END AS message
FROM amounts a
JOIN slices s ON s.region_code = a.region_code AND s.year = a.year AND s.fund_code = a.fund_code
WHERE a.has_budget <> a.has_actual
