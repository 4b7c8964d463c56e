-- Beneficiaries (享受待遇人数): the whole count and each benefit type, against the year before.
SELECT fund_code, member AS benefit_type_key, persons, previous, growth,
       breakdown = 'total' AS _total
FROM headcount_growth_rollup_v1
WHERE region_code = $region AND year = $year AND measure = 'beneficiaries'
  AND (breakdown = 'benefit_type' OR breakdown = 'total')
  AND fund_code IN (
      SELECT fund_code FROM headcount
      WHERE region_code = $region AND year = $year AND measure = 'beneficiaries'
        AND breakdown = 'benefit_type'
  )
ORDER BY fund_code, breakdown = 'total', persons DESC, member
