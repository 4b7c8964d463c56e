-- Trend of insured persons up to the report's year, for funds counted in at least two years.
WITH counts AS (
    SELECT fund_code, year, persons
    FROM headcount
    WHERE region_code = $region AND year <= $year AND measure = 'insured'
      AND breakdown = 'total' AND member = 'all' AND scenario = 'actual'
)
SELECT fund_code, CAST(year AS VARCHAR) AS category, 'insured' AS series_key, persons AS value
FROM counts
WHERE fund_code IN (SELECT fund_code FROM counts GROUP BY fund_code HAVING COUNT(*) >= 2)
ORDER BY fund_code, year
