-- Stated totals of a city or province against the sum of its children: wherever a region with
-- child regions states an amount itself (item_amount: stated, or derived from its stated child
-- items) or a count of persons (headcount), the same figure summed over its direct children, each
-- child counting its own stated figure where it has one, else its roll-up from the leaves
-- (item_amount_rollup, headcount_rollup). One row per figure both sides have; `figure` is the
-- item_code (unit 元, exact yuan) or the measure, with ':breakdown=member' unless it is the whole
-- count (unit 人); difference = stated − children_sum (0 when they agree); children counts the
-- children that have the figure. The warning rule sql/warnings/rollup_mismatch.sql lists the
-- rows whose difference is not 0.
WITH amounts AS (
    SELECT COALESCE(s.region_code, r.region_code) AS region_code,
           COALESCE(s.year, r.year) AS year, COALESCE(s.fund_code, r.fund_code) AS fund_code,
           COALESCE(s.scenario, r.scenario) AS scenario,
           COALESCE(s.item_code, r.item_code) AS figure,
           s.amount_yuan AS stated, COALESCE(s.amount_yuan, r.amount_yuan) AS value
    FROM item_amount_v1 s
    FULL JOIN item_amount_rollup_v1 r
           ON r.region_code = s.region_code AND r.year = s.year AND r.fund_code = s.fund_code
          AND r.item_code = s.item_code AND r.scenario = s.scenario
),
persons AS (
    SELECT COALESCE(s.region_code, r.region_code) AS region_code,
           COALESCE(s.year, r.year) AS year, COALESCE(s.fund_code, r.fund_code) AS fund_code,
           COALESCE(s.scenario, r.scenario) AS scenario,
           CASE WHEN COALESCE(s.breakdown, r.breakdown) = 'total'
                     AND COALESCE(s.member, r.member) = 'all'
                THEN COALESCE(s.measure, r.measure)
                ELSE COALESCE(s.measure, r.measure) || ':' || COALESCE(s.breakdown, r.breakdown)
                     || '=' || COALESCE(s.member, r.member)
           END AS figure,
           CAST(s.persons AS DECIMAL(20, 2)) AS stated,
           CAST(COALESCE(s.persons, r.persons) AS DECIMAL(20, 2)) AS value
    FROM headcount s
    FULL JOIN headcount_rollup_v1 r
           ON r.region_code = s.region_code AND r.year = s.year AND r.fund_code = s.fund_code
          AND r.measure = s.measure AND r.breakdown = s.breakdown AND r.member = s.member
          AND r.scenario = s.scenario
),
figures AS (
    SELECT *, '元' AS unit FROM amounts
    UNION ALL
    SELECT *, '人' AS unit FROM persons
),
children AS (
    SELECT g.parent_code AS region_code, f.year, f.fund_code, f.scenario, f.figure, f.unit,
           CAST(SUM(f.value) AS DECIMAL(20, 2)) AS children_sum, COUNT(*) AS children
    FROM figures f
    JOIN region g ON g.region_code = f.region_code
    WHERE g.parent_code IS NOT NULL
    GROUP BY g.parent_code, f.year, f.fund_code, f.scenario, f.figure, f.unit
)
SELECT p.region_code, p.year, p.fund_code, p.scenario, p.figure, p.unit,
       CAST(p.stated AS DECIMAL(20, 2)) AS stated, c.children_sum,
       CAST(p.stated - c.children_sum AS DECIMAL(20, 2)) AS difference, c.children
FROM figures p
JOIN children c
  ON c.region_code = p.region_code AND c.year = p.year AND c.fund_code = p.fund_code
 AND c.scenario = p.scenario AND c.figure = p.figure AND c.unit = p.unit
WHERE p.stated IS NOT NULL
ORDER BY p.region_code, p.year, p.fund_code, p.scenario, p.figure
