-- Insured persons by risk class (参保人数按行业工伤风险类别划分): persons and share of the total.
SELECT s.fund_code, s.member AS risk_class_key, s.persons, s.share
FROM headcount_share_rollup_v1 s
WHERE s.region_code = $region AND s.year = $year AND s.measure = 'insured'
  AND s.breakdown = 'risk_class'
ORDER BY s.fund_code, s.member
