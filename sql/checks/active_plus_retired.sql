-- error: active + retired persons differ from insured persons, where all three are counted
-- (whole counts, same region, year, fund and scenario). item_code holds the measure `insured`.
WITH whole AS (
    SELECT region_code, year, fund_code, scenario,
           SUM(persons) FILTER (WHERE measure = 'insured') AS insured,
           SUM(persons) FILTER (WHERE measure = 'active') AS active,
           SUM(persons) FILTER (WHERE measure = 'retired') AS retired
    FROM headcount
    WHERE breakdown = 'total' AND member = 'all'
    GROUP BY region_code, year, fund_code, scenario
)
SELECT 'error' AS severity, region_code, year, fund_code, 'insured' AS item_code,
       scenario || ': active ' || CAST(active AS VARCHAR) || ' + retired ' || CAST(retired AS VARCHAR)
           || ' = ' || CAST(active + retired AS VARCHAR) || ' but insured is '
           || CAST(insured AS VARCHAR) AS message
FROM whole
WHERE insured IS NOT NULL AND active IS NOT NULL AND retired IS NOT NULL
  AND active + retired <> insured
