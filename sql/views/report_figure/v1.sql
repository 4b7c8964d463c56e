-- Every figure of a fund report, as the ledger gives it, in the long layout of a report's stated
-- figures (report_tables.csv): report_table, item, measure, value, unit. `fundq audit` compares a
-- report's stated figures with these. For rates and growths `base` is the amount they divide by
-- (budget, previous, total), so a figure stated for a zero or missing base can be recognised;
-- part_of_total says whether a budget or year-over-year item is one the table's total sums.
-- Built only from the standard views; no arithmetic here beyond picking columns, except the two
-- fund-operation figures the standard views do not carry (contribution_minus_pension and
-- benefit_breakdown_total).
WITH execution AS (
    SELECT region_code, year, fund_code, 'budget_execution_' || direction AS report_table,
           item_code AS item, budget_wan, actual_wan, execution_rate,
           NOT memo AND item_code <> 'total' AS part_of_total
    FROM budget_execution_v1
),
growth AS (
    SELECT region_code, year, fund_code, 'yoy_' || direction AS report_table,
           item_code AS item, current_wan, previous_wan, growth,
           NOT memo AND item_code <> 'total' AS part_of_total
    FROM yoy_growth_v1
),
persons AS (
    SELECT region_code, year, fund_code,
           CASE WHEN breakdown = 'total' AND member = 'all' THEN measure
                ELSE measure || ':' || breakdown || '=' || member END AS item,
           persons, previous, growth
    FROM headcount_growth_v1
),
shares AS (
    SELECT region_code, year, fund_code,
           measure || ':' || breakdown || '=' || member AS item, share, total
    FROM headcount_share_v1
),
persons_budget AS (
    SELECT region_code, year, fund_code,
           CASE WHEN breakdown = 'total' AND member = 'all' THEN measure
                ELSE measure || ':' || breakdown || '=' || member END AS item,
           budget, execution_rate
    FROM headcount_execution_v1
),
actual_items AS (
    SELECT region_code, year, fund_code, item_code, amount_yuan
    FROM item_amount_v1
    WHERE scenario = 'actual'
),
operation AS (
    SELECT region_code, year, fund_code, 'income_total' AS item, income_wan AS value FROM fund_balance_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'expense_total' AS item, expense_wan AS value FROM fund_balance_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'current_balance' AS item, balance_wan AS value FROM fund_balance_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'own_income_total' AS item, own_income_wan AS value FROM fund_balance_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'own_expense_total' AS item, own_expense_wan AS value FROM fund_balance_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'own_balance' AS item, own_balance_wan AS value FROM fund_balance_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'closing_balance' AS item, closing_balance_wan AS value FROM fund_balance_v1
),
contribution_minus_pension AS (
    SELECT c.region_code, c.year, c.fund_code, 'contribution_minus_pension' AS item,
           CAST((c.amount_yuan - p.amount_yuan) / 10000 AS DECIMAL(18, 2)) AS value
    FROM actual_items c
    JOIN actual_items p
      ON p.region_code = c.region_code AND p.year = c.year AND p.fund_code = c.fund_code
     AND p.item_code = 'basic_pension'
    WHERE c.item_code = 'contribution'
),
benefit_breakdown AS (
    SELECT l.region_code, l.year, l.fund_code, 'benefit_breakdown_total' AS item,
           CAST(SUM(l.amount_yuan) / 10000 AS DECIMAL(18, 2)) AS value
    FROM ledger l
    JOIN item i ON i.fund_code = l.fund_code AND i.item_code = l.item_code
    WHERE l.scenario = 'actual' AND i.parent_code = 'benefit' AND NOT i.of_which
    GROUP BY l.region_code, l.year, l.fund_code
),
figures (region_code, year, fund_code, report_table, item, measure, value, unit, base,
         part_of_total) AS (
    SELECT region_code, year, fund_code, report_table, item, 'budget', budget_wan, '万元', NULL, part_of_total
    FROM execution
    UNION ALL
    SELECT region_code, year, fund_code, report_table, item, 'actual', actual_wan, '万元', NULL, part_of_total
    FROM execution
    UNION ALL
    SELECT region_code, year, fund_code, report_table, item, 'execution_rate', execution_rate,
           '%', budget_wan, part_of_total
    FROM execution
    UNION ALL
    SELECT region_code, year, fund_code, report_table, item, 'current', current_wan, '万元', NULL, part_of_total
    FROM growth
    UNION ALL
    SELECT region_code, year, fund_code, report_table, item, 'previous', previous_wan, '万元', NULL, part_of_total
    FROM growth
    UNION ALL
    SELECT region_code, year, fund_code, report_table, item, 'growth', growth, '%', previous_wan, part_of_total
    FROM growth
    UNION ALL
    SELECT region_code, year, fund_code, 'headcount', item, 'current', persons, '人', NULL, NULL
    FROM persons
    UNION ALL
    SELECT region_code, year, fund_code, 'headcount', item, 'previous', previous, '人', NULL, NULL
    FROM persons
    UNION ALL
    SELECT region_code, year, fund_code, 'headcount', item, 'growth', growth, '%', previous, NULL
    FROM persons
    UNION ALL
    SELECT region_code, year, fund_code, 'headcount_share', item, 'share', share, '%', total, NULL
    FROM shares
    UNION ALL
    SELECT region_code, year, fund_code, 'headcount_budget', item, 'execution_rate',
           execution_rate, '%', budget, NULL
    FROM persons_budget
    UNION ALL
    SELECT region_code, year, fund_code, 'per_capita', indicator, 'current', value, unit, NULL, NULL
    FROM per_capita_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'per_capita', indicator, 'previous', previous, unit, NULL, NULL
    FROM per_capita_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'per_capita', indicator, 'growth', growth, '%', previous, NULL
    FROM per_capita_v1
    UNION ALL
    SELECT region_code, year, fund_code, 'fund_operation', item, 'actual', value, '万元', NULL, NULL
    FROM operation
    UNION ALL
    SELECT region_code, year, fund_code, 'fund_operation', item, 'actual', value, '万元', NULL, NULL
    FROM contribution_minus_pension
    UNION ALL
    SELECT region_code, year, fund_code, 'fund_operation', item, 'actual', value, '万元', NULL, NULL
    FROM benefit_breakdown
)
SELECT region_code, year, fund_code, report_table, item, measure,
       CAST(value AS DECIMAL(24, 4)) AS value, unit, CAST(base AS DECIMAL(24, 4)) AS base,
       CAST(part_of_total AS BOOLEAN) AS part_of_total
FROM figures
