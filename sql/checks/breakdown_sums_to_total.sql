-- error: the members of a headcount breakdown (by unit type, risk class, benefit type, …) do
-- not sum to the measure's stated total. item_code holds `measure:breakdown`.
WITH members AS (
    SELECT region_code, year, fund_code, measure, breakdown, scenario,
           SUM(persons) AS members_sum, COUNT(*) AS members
    FROM headcount
    WHERE breakdown <> 'total'
    GROUP BY region_code, year, fund_code, measure, breakdown, scenario
)
SELECT 'error' AS severity, m.region_code, m.year, m.fund_code,
       m.measure || ':' || m.breakdown AS item_code,
       m.scenario || ': the ' || CAST(m.members AS VARCHAR) || ' members of breakdown '
           || m.breakdown || ' sum to ' || CAST(m.members_sum AS VARCHAR) || ' but the total of '
           || m.measure || ' is ' || CAST(t.persons AS VARCHAR) AS message
FROM members m
JOIN headcount t
  ON t.region_code = m.region_code AND t.year = m.year AND t.fund_code = m.fund_code
 AND t.measure = m.measure AND t.scenario = m.scenario
 AND t.breakdown = 'total' AND t.member = 'all'
WHERE m.members_sum <> t.persons
