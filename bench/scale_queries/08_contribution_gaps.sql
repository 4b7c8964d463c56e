-- Gaps in contributions: persons who missed at least one month between their first and last
-- contribution month of a year, per fund and year, with the months missed. Person level: every
-- contribution record is sorted by person and month (LAG), which does not fit in the memory
-- limit at 100 M rows, so the engines must spill.
-- bench: memory_limit
WITH steps AS (
    SELECT person_id, fund_code, year,
           month - LAG(month) OVER (PARTITION BY person_id, fund_code, year ORDER BY month)
               AS step
    FROM detail
    WHERE item_code = 'contribution'
)
SELECT fund_code, year,
       COUNT(DISTINCT person_id) AS persons_with_gap,
       SUM(step - 1) AS missing_months
FROM steps
WHERE step > 1
GROUP BY fund_code, year
ORDER BY fund_code, year
