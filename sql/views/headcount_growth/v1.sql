-- Headcount growth: each actual count of persons against the same count a year earlier
-- (previous), growth in % ((persons − previous) / previous × 100). NULL growth when the previous
-- count is zero or missing.
SELECT c.region_code, c.year, c.fund_code, c.measure, c.breakdown, c.member,
       c.persons, p.persons AS previous,
       CAST(CAST(c.persons - p.persons AS DECIMAL(20, 0)) * 100 / NULLIF(p.persons, 0)
            AS DECIMAL(12, 2)) AS growth
FROM headcount c
LEFT JOIN headcount p
       ON p.region_code = c.region_code AND p.year = c.year - 1 AND p.fund_code = c.fund_code
      AND p.measure = c.measure AND p.breakdown = c.breakdown AND p.member = c.member
      AND p.scenario = c.scenario
WHERE c.scenario = 'actual'
ORDER BY c.region_code, c.year, c.fund_code, c.measure, c.breakdown, c.member
