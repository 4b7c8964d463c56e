-- Insured persons by risk class, as in the insured_by_risk_class table.
SELECT fund_code, member AS category_key, 'insured' AS series_key, persons AS value
FROM headcount_share_rollup_v1
WHERE region_code = $region AND year = $year AND measure = 'insured' AND breakdown = 'risk_class'
ORDER BY fund_code, member
