-- Year-over-year growth by fund, item and month: each month of 2023 against the same month of
-- 2022, in percent.
-- bench: scan year IN (2022, 2023)
WITH monthly AS (
    SELECT fund_code, item_code, month,
           SUM(CASE WHEN year = 2023 THEN amount_yuan END) AS current_yuan,
           SUM(CASE WHEN year = 2022 THEN amount_yuan END) AS previous_yuan
    FROM detail
    WHERE year IN (2022, 2023)
    GROUP BY fund_code, item_code, month
)
SELECT fund_code, item_code, month, current_yuan, previous_yuan,
       current_yuan - previous_yuan AS change_yuan,
       CAST(current_yuan - previous_yuan AS DOUBLE) * 100
           / CAST(NULLIF(previous_yuan, 0) AS DOUBLE) AS growth
FROM monthly
ORDER BY fund_code, item_code, month
