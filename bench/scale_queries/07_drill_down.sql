-- Drill-down into one county and year: amounts, records and persons by fund, item and month.
-- {{region}} is replaced by the runner with a county of median size before any engine sees the
-- text. The detail files are sorted by region_code within a year, so an engine that uses the
-- Parquet row-group and page statistics reads a small fraction of them.
-- bench: drill_down
SELECT fund_code, item_code, month,
       SUM(amount_yuan) AS amount_yuan,
       COUNT(*) AS records,
       COUNT(DISTINCT person_id) AS persons
FROM detail
WHERE region_code = '{{region}}' AND year = 2023
GROUP BY fund_code, item_code, month
ORDER BY fund_code, item_code, month
