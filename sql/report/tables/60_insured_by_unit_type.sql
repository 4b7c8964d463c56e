-- Insured persons by unit type (参保人数按单位类型划分): persons and share of the total.
SELECT s.fund_code, s.member AS unit_type_key, s.persons, s.share
FROM headcount_share_rollup_v1 s
WHERE s.region_code = $region AND s.year = $year AND s.measure = 'insured'
  AND s.breakdown = 'unit_type'
ORDER BY s.fund_code, CASE s.member WHEN 'enterprise' THEN 1 WHEN 'public_institution' THEN 2 WHEN 'government' THEN 3 WHEN 'individual_business' THEN 4 ELSE 9 END, s.member
