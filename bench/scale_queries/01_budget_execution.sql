-- Budget execution by county and fund, 2023: actual income and expense summed from the detail
-- records against the budget table, with the execution rate in percent.
-- bench: scan year = 2023
WITH actual AS (
    SELECT region_code, fund_code, item_code, SUM(amount_yuan) AS amount_yuan
    FROM detail
    WHERE year = 2023
    GROUP BY region_code, fund_code, item_code
),
planned AS (
    SELECT region_code, fund_code, item_code, SUM(amount_yuan) AS amount_yuan
    FROM budget
    WHERE year = 2023 AND scenario = 'budget'
    GROUP BY region_code, fund_code, item_code
),
both_sides AS (
    SELECT COALESCE(a.region_code, p.region_code) AS region_code,
           COALESCE(a.fund_code, p.fund_code) AS fund_code,
           COALESCE(a.item_code, p.item_code) AS item_code,
           p.amount_yuan AS budget_yuan,
           a.amount_yuan AS actual_yuan
    FROM actual a
    FULL JOIN planned p
        ON p.region_code = a.region_code AND p.fund_code = a.fund_code AND p.item_code = a.item_code
),
by_direction AS (
    SELECT b.region_code, b.fund_code, i.direction,
           SUM(b.budget_yuan) AS budget_yuan, SUM(b.actual_yuan) AS actual_yuan
    FROM both_sides b
    JOIN item i ON i.fund_code = b.fund_code AND i.item_code = b.item_code
    GROUP BY b.region_code, b.fund_code, i.direction
)
SELECT region_code, fund_code, direction, budget_yuan, actual_yuan,
       CAST(actual_yuan AS DOUBLE) * 100 / CAST(NULLIF(budget_yuan, 0) AS DOUBLE) AS execution_rate
FROM by_direction
ORDER BY region_code, fund_code, direction
