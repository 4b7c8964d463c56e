-- Enrollment against its budget (参保人数预算完成情况).
SELECT fund_code, measure AS measure_key, budget, actual, execution_rate
FROM headcount_execution_v1
WHERE region_code = $region AND year = $year AND breakdown = 'total' AND member = 'all'
ORDER BY fund_code, measure
