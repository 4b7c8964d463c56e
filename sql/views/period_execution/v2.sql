-- Budget execution during the year (月度/季度预算执行情况), per region, period, fund and top-level
-- item, plus an item_code 'total' row per fund and direction summing the non-memo items, in 万元:
-- the year's budget (年预算数) and adjusted budget (调整后预算数), the period's execution (当期执行数),
-- the cumulative execution from January (累计执行数) and the same cumulative figure of the year
-- before (上年同期累计执行数); progress (预算执行进度, cumulative / adjusted budget, else budget, × 100),
-- growth against the year before's same period (比上年同期增长, %), elapsed time (序时进度, months
-- elapsed / 12 × 100), the gap between progress and elapsed time in percentage points (百分点) and
-- lagging: progress more than period_threshold's lag_points behind elapsed time. Percentages are
-- rounded half-up from unrounded values; a zero or missing base gives NULL.
--
-- v2: the budgets are read from budget_basis, the one definition of the budget in force. v1's
-- total row summed the adjusted budgets of the items that have one and nothing for the others,
-- so where a fund adjusted only some items its total's adjusted budget was too small and its
-- progress too high; v2's total adjusted budget is each item's adjusted budget, or else its
-- budget, summed (as the annual budget_execution's total). Same columns.
WITH budgets AS (
    SELECT region_code, year, fund_code, item_code, budget_yuan, adjusted_budget_yuan,
           budget_in_force_yuan, adjusted
    FROM budget_basis_v1
),
top_items AS (
    SELECT p.region_code, p.year, p.period, p.end_month, p.fund_code, i.direction, p.item_code,
           i.name_zh AS item_name, i.memo, i.sort_order,
           CAST(b.budget_yuan AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(b.adjusted_budget_yuan AS DECIMAL(20, 2)) AS adjusted_budget_yuan,
           CAST(b.budget_in_force_yuan AS DECIMAL(20, 2)) AS budget_in_force_yuan,
           COALESCE(b.adjusted, false) AS adjusted,
           p.amount_yuan AS period_yuan,
           p.cumulative_yuan,
           prev.cumulative_yuan AS previous_cumulative_yuan
    FROM period_amount_v1 p
    JOIN item i ON i.fund_code = p.fund_code AND i.item_code = p.item_code
    LEFT JOIN budgets b
           ON b.region_code = p.region_code AND b.year = p.year
          AND b.fund_code = p.fund_code AND b.item_code = p.item_code
    LEFT JOIN (
        SELECT DISTINCT region_code, year, end_month, fund_code, item_code, cumulative_yuan
        FROM period_amount_v1
        WHERE cumulative_yuan IS NOT NULL
    ) prev
           ON prev.region_code = p.region_code AND prev.year = p.year - 1
          AND prev.end_month = p.end_month AND prev.fund_code = p.fund_code
          AND prev.item_code = p.item_code
    WHERE i.parent_code IS NULL AND i.direction IN ('income', 'expense')
),
totals AS (
    SELECT region_code, year, period, end_month, fund_code, direction, 'total' AS item_code,
           CASE direction WHEN 'income' THEN '总收入' ELSE '总支出' END AS item_name,
           false AS memo, 2147483647 AS sort_order,
           CAST(SUM(budget_yuan) AS DECIMAL(20, 2)) AS budget_yuan,
           -- Each item's budget in force (its adjusted budget, else its budget), summed: the
           -- total's adjusted budget, where any item was adjusted.
           CASE WHEN BOOL_OR(adjusted)
                THEN CAST(SUM(budget_in_force_yuan) AS DECIMAL(20, 2)) END
               AS adjusted_budget_yuan,
           CAST(SUM(budget_in_force_yuan) AS DECIMAL(20, 2)) AS budget_in_force_yuan,
           BOOL_OR(adjusted) AS adjusted,
           CAST(SUM(period_yuan) AS DECIMAL(20, 2)) AS period_yuan,
           CAST(SUM(cumulative_yuan) AS DECIMAL(20, 2)) AS cumulative_yuan,
           CAST(SUM(previous_cumulative_yuan) AS DECIMAL(20, 2)) AS previous_cumulative_yuan
    FROM top_items
    WHERE NOT memo
    GROUP BY region_code, year, period, end_month, fund_code, direction
),
all_rows AS (
    SELECT * FROM top_items
    UNION ALL
    SELECT * FROM totals
),
rates AS (
    SELECT r.*,
           r.cumulative_yuan * 100 / NULLIF(r.budget_in_force_yuan, 0) AS progress_exact,
           CAST(r.end_month AS DECIMAL(20, 10)) * 100 / 12 AS elapsed_exact
    FROM all_rows r
)
SELECT r.region_code, r.year, r.period, r.fund_code, f.name_zh AS fund_name, r.direction,
       r.item_code, r.item_name,
       CAST(r.budget_yuan / 10000 AS DECIMAL(18, 2)) AS budget_wan,
       CAST(r.adjusted_budget_yuan / 10000 AS DECIMAL(18, 2)) AS adjusted_budget_wan,
       CAST(r.period_yuan / 10000 AS DECIMAL(18, 2)) AS period_actual_wan,
       CAST(r.cumulative_yuan / 10000 AS DECIMAL(18, 2)) AS cumulative_wan,
       CAST(r.previous_cumulative_yuan / 10000 AS DECIMAL(18, 2)) AS previous_cumulative_wan,
       CAST(r.progress_exact AS DECIMAL(12, 2)) AS progress,
       CAST((r.cumulative_yuan - r.previous_cumulative_yuan) * 100
            / NULLIF(r.previous_cumulative_yuan, 0) AS DECIMAL(12, 2)) AS growth,
       CAST(r.elapsed_exact AS DECIMAL(12, 2)) AS elapsed,
       CAST(r.progress_exact - r.elapsed_exact AS DECIMAL(12, 2)) AS gap_points,
       COALESCE(r.elapsed_exact - r.progress_exact > t.lag_points, false) AS lagging,
       r.memo
FROM rates r
JOIN fund f ON f.fund_code = r.fund_code
JOIN period_threshold_v1 t ON t.fund_code = r.fund_code
ORDER BY r.region_code, r.year, r.end_month, r.period, f.sort_order,
         CASE r.direction WHEN 'income' THEN 1 ELSE 2 END, r.sort_order
