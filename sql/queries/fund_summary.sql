-- Income and expense totals with execution rates for one region and year: run with
-- `--param region=640121 --param year=2022`.
SELECT fund_code, fund_name, direction, budget_wan, actual_wan, execution_rate
FROM budget_execution
WHERE item_code = 'total' AND region_code = $region AND year = $year
ORDER BY fund_code, direction DESC
