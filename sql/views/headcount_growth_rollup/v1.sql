-- headcount_growth for every region of the tree: each actual count of persons summed over the
-- leaf regions (headcount_rollup) against the same sum a year earlier, growth recomputed from the
-- sums. Same columns and rules as headcount_growth; for a leaf the figures equal its own.
SELECT c.region_code, c.year, c.fund_code, c.measure, c.breakdown, c.member,
       c.persons, p.persons AS previous,
       CAST(CAST(c.persons - p.persons AS DECIMAL(20, 0)) * 100 / NULLIF(p.persons, 0)
            AS DECIMAL(12, 2)) AS growth
FROM headcount_rollup_v1 c
LEFT JOIN headcount_rollup_v1 p
       ON p.region_code = c.region_code AND p.year = c.year - 1 AND p.fund_code = c.fund_code
      AND p.measure = c.measure AND p.breakdown = c.breakdown AND p.member = c.member
      AND p.scenario = c.scenario
WHERE c.scenario = 'actual'
ORDER BY c.region_code, c.year, c.fund_code, c.measure, c.breakdown, c.member
