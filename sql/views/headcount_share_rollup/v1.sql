-- headcount_share for every region of the tree: each breakdown member's persons summed over the
-- leaf regions (headcount_rollup) as a % of the measure's total summed over the same leaves, each
-- leaf counting its stated total, or the sum of its members where it states none (so a city whose
-- counties state totals only in part still gets a whole total). Actual counts only. Same columns
-- and rules as headcount_share; for a leaf the figures equal headcount_share's.
WITH leaf_members AS (
    SELECT * FROM headcount WHERE breakdown <> 'total' AND scenario = 'actual'
),
leaf_stated AS (
    SELECT region_code, year, fund_code, measure, persons AS total
    FROM headcount
    WHERE breakdown = 'total' AND member = 'all' AND scenario = 'actual'
),
leaf_totals AS (
    SELECT m.region_code, m.year, m.fund_code, m.measure, m.breakdown,
           COALESCE(MAX(s.total), SUM(m.persons)) AS total
    FROM leaf_members m
    LEFT JOIN leaf_stated s
           ON s.region_code = m.region_code AND s.year = m.year AND s.fund_code = m.fund_code
          AND s.measure = m.measure
    GROUP BY m.region_code, m.year, m.fund_code, m.measure, m.breakdown
),
totals AS (
    SELECT t.region_code, l.year, l.fund_code, l.measure, l.breakdown, SUM(l.total) AS total
    FROM region_leaf_v1 t
    JOIN leaf_totals l ON l.region_code = t.leaf_code
    GROUP BY t.region_code, l.year, l.fund_code, l.measure, l.breakdown
)
SELECT m.region_code, m.year, m.fund_code, m.measure, m.breakdown, m.member, m.persons,
       t.total,
       CAST(CAST(m.persons AS DECIMAL(20, 0)) * 100 / NULLIF(t.total, 0) AS DECIMAL(12, 2))
           AS share
FROM headcount_rollup_v1 m
JOIN totals t
  ON t.region_code = m.region_code AND t.year = m.year AND t.fund_code = m.fund_code
 AND t.measure = m.measure AND t.breakdown = m.breakdown
WHERE m.breakdown <> 'total' AND m.scenario = 'actual'
ORDER BY m.region_code, m.year, m.fund_code, m.measure, m.breakdown, m.member
