-- Fund balance (income - expense) by county, fund and year, the direction of each item from the
-- item table.
-- bench: scan TRUE
WITH by_item AS (
    SELECT region_code, fund_code, item_code, year, SUM(amount_yuan) AS amount_yuan
    FROM detail
    GROUP BY region_code, fund_code, item_code, year
)
SELECT b.region_code, b.fund_code, b.year,
       SUM(CASE WHEN i.direction = 'income' THEN b.amount_yuan ELSE 0 END) AS income_yuan,
       SUM(CASE WHEN i.direction = 'expense' THEN b.amount_yuan ELSE 0 END) AS expense_yuan,
       SUM(CASE WHEN i.direction = 'income' THEN b.amount_yuan ELSE -b.amount_yuan END)
           AS balance_yuan
FROM by_item b
JOIN item i ON i.fund_code = b.fund_code AND i.item_code = b.item_code
GROUP BY b.region_code, b.fund_code, b.year
ORDER BY b.region_code, b.fund_code, b.year
