-- Headcount budget execution: each count of persons that has a budget, against its actual
-- (execution_rate = actual / budget × 100, %). NULL rate when the budget is zero; NULL actual when
-- none is stated yet.
SELECT b.region_code, b.year, b.fund_code, b.measure, b.breakdown, b.member,
       b.persons AS budget, a.persons AS actual,
       CAST(CAST(a.persons AS DECIMAL(20, 0)) * 100 / NULLIF(b.persons, 0) AS DECIMAL(12, 2))
           AS execution_rate
FROM headcount b
LEFT JOIN headcount a
       ON a.region_code = b.region_code AND a.year = b.year AND a.fund_code = b.fund_code
      AND a.measure = b.measure AND a.breakdown = b.breakdown AND a.member = b.member
      AND a.scenario = 'actual'
WHERE b.scenario = 'budget'
ORDER BY b.region_code, b.year, b.fund_code, b.measure, b.breakdown, b.member
