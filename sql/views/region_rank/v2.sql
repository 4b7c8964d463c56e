-- Ranking and peer comparison: each region's figure among its siblings (the regions with the
-- same parent) per year, fund and indicator, from the roll-up views (a city's or province's
-- figures are recomputed from its leaves). Indicators: months_covered and dependency_ratio
-- (fund_balance_rollup), income_ and expense_execution_rate (total rows of
-- budget_execution_rollup), income_ and expense_growth (yoy_growth_rollup), every per_capita
-- indicator (per_capita_rollup: benefit_per_beneficiary, …), and fiscal_subsidy_share: income of
-- fiscal_subsidy items as a % of the budget tables' income total (non-memo top-level items),
-- for funds that have a fiscal_subsidy item (0 where a region states none), NULL on a zero total. Figures are ranked as the views show them (rounded); rank 1 is
-- the highest value (ties share a rank; whether high is good depends on the indicator);
-- percentile = siblings with a lower value × 100 / (siblings − 1), NULL for an only child;
-- sibling_median is the median of the siblings' values (the region's own included) and
-- gap_to_median = value − sibling_median. Regions whose figure is NULL (months covered on zero
-- expenditure, …) are neither ranked nor counted among the siblings.
--
-- v2: on budget_execution_rollup v2 (budgets in force from budget_basis) and per_capita_rollup v2
-- (a partial sum gives NULL, so a region whose leaves state a per-capita item only in part is not
-- ranked on it; v1 ranked it on the part).
WITH subsidy AS (
    SELECT a.region_code, a.year, a.fund_code,
           SUM(a.amount_yuan) FILTER (WHERE i.category = 'fiscal_subsidy') AS subsidy_yuan,
           SUM(a.amount_yuan) AS income_yuan
    FROM item_amount_rollup_v1 a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE a.scenario = 'actual' AND i.parent_code IS NULL AND i.direction = 'income'
      AND NOT i.memo
      AND a.fund_code IN (SELECT fund_code FROM item WHERE category = 'fiscal_subsidy')
    GROUP BY a.region_code, a.year, a.fund_code
),
figures (region_code, year, fund_code, indicator, value) AS (
    SELECT region_code, year, fund_code, 'months_covered', months_covered
    FROM fund_balance_rollup_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'dependency_ratio', dependency_ratio
    FROM fund_balance_rollup_v1
    UNION ALL
    SELECT region_code, year, fund_code, direction || '_execution_rate', execution_rate
    FROM budget_execution_rollup_v2
    WHERE item_code = 'total'
    UNION ALL
    SELECT region_code, year, fund_code, direction || '_growth', growth
    FROM yoy_growth_rollup_v1
    WHERE item_code = 'total'
    UNION ALL
    SELECT region_code, year, fund_code, indicator, value
    FROM per_capita_rollup_v2
    UNION ALL
    SELECT region_code, year, fund_code, 'fiscal_subsidy_share',
           CAST(COALESCE(subsidy_yuan, 0) * 100 / NULLIF(income_yuan, 0) AS DECIMAL(12, 2))
    FROM subsidy
),
placed AS (
    SELECT g.parent_code, f.region_code, g.name_zh AS region_name, f.year, f.fund_code,
           f.indicator, CAST(f.value AS DECIMAL(20, 4)) AS value
    FROM figures f
    JOIN region g ON g.region_code = f.region_code
    WHERE g.parent_code IS NOT NULL AND f.value IS NOT NULL
),
ranked AS (
    SELECT *,
           RANK() OVER peers_down AS rank,
           RANK() OVER peers_up - 1 AS below,
           COUNT(*) OVER peers AS siblings,
           MEDIAN(CAST(value AS DECIMAL(24, 6))) OVER peers AS median_value
    FROM placed
    WINDOW peers AS (PARTITION BY parent_code, year, fund_code, indicator),
           peers_down AS (PARTITION BY parent_code, year, fund_code, indicator ORDER BY value DESC),
           peers_up AS (PARTITION BY parent_code, year, fund_code, indicator ORDER BY value)
)
SELECT region_code, region_name, parent_code, year, fund_code, indicator, value, rank, siblings,
       CAST(CAST(below AS DECIMAL(20, 0)) * 100 / NULLIF(siblings - 1, 0) AS DECIMAL(12, 2))
           AS percentile,
       CAST(median_value AS DECIMAL(20, 4)) AS sibling_median,
       CAST(value - median_value AS DECIMAL(20, 4)) AS gap_to_median
FROM ranked
ORDER BY parent_code, year, fund_code, indicator, rank, region_code
