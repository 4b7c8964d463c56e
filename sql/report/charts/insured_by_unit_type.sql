-- Insured persons by unit type, as in the insured_by_unit_type table.
SELECT fund_code, member AS category_key, 'insured' AS series_key, persons AS value
FROM headcount_share_rollup_v1
WHERE region_code = $region AND year = $year AND measure = 'insured' AND breakdown = 'unit_type'
ORDER BY fund_code, CASE member WHEN 'enterprise' THEN 1 WHEN 'public_institution' THEN 2 WHEN 'government' THEN 3 WHEN 'individual_business' THEN 4 ELSE 9 END, member
