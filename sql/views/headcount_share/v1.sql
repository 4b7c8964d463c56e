-- Headcount shares: each breakdown member's persons as a % of its measure's total (the stated
-- total, or the sum of the members where no total is stated), actual counts only.
WITH members AS (
    SELECT * FROM headcount WHERE breakdown <> 'total' AND scenario = 'actual'
),
stated_totals AS (
    SELECT region_code, year, fund_code, measure, persons AS total
    FROM headcount
    WHERE breakdown = 'total' AND member = 'all' AND scenario = 'actual'
),
member_sums AS (
    SELECT region_code, year, fund_code, measure, breakdown, SUM(persons) AS total
    FROM members
    GROUP BY region_code, year, fund_code, measure, breakdown
)
SELECT m.region_code, m.year, m.fund_code, m.measure, m.breakdown, m.member, m.persons,
       COALESCE(t.total, s.total) AS total,
       CAST(CAST(m.persons AS DECIMAL(20, 0)) * 100 / NULLIF(COALESCE(t.total, s.total), 0)
            AS DECIMAL(12, 2)) AS share
FROM members m
LEFT JOIN stated_totals t
       ON t.region_code = m.region_code AND t.year = m.year AND t.fund_code = m.fund_code
      AND t.measure = m.measure
JOIN member_sums s
       ON s.region_code = m.region_code AND s.year = m.year AND s.fund_code = m.fund_code
      AND s.measure = m.measure AND s.breakdown = m.breakdown
ORDER BY m.region_code, m.year, m.fund_code, m.measure, m.breakdown, m.member
