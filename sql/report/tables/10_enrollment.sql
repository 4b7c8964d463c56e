-- Enrollment (参保缴费情况): each whole count of persons of the year against the year before.
SELECT fund_code, measure AS measure_key, persons, previous, growth
FROM headcount_growth_rollup_v1
WHERE region_code = $region AND year = $year AND breakdown = 'total' AND member = 'all'
ORDER BY fund_code, CASE measure
    WHEN 'insured' THEN 1 WHEN 'active' THEN 2 WHEN 'retired' THEN 3 WHEN 'contributors' THEN 4
    WHEN 'beneficiaries' THEN 5 ELSE 9 END, measure
