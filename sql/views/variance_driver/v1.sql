-- Variance drivers (差异因素分析): every change the variance checks look at — actual against
-- budget (measure 'execution_rate', the budget side being the adjusted budget where one exists)
-- and actual against the year before ('growth') — per top-level item and per fund total, split
-- into persons and amount per person where the item has a count of persons to divide by (the
-- item/measure pairs of per_capita). With q persons and p = amount / q yuan per person, base 0
-- and value 1: volume = Δq × p0 (更多或更少的人), rate = Δp × q0 (人均变化), interaction
-- = Δq × Δp, so volume + rate + interaction = change exactly. volume_wan and rate_wan are rounded
-- half-up to 2 places of 万元 and interaction_wan is the rest, so the three add up to change_wan in
-- DECIMAL (the rounding, at most 0.01, lands in the interaction). The budget side's persons are
-- the budgeted count (headcount scenario 'budget'); no split where a side has no count, or zero
-- persons (a per-capita amount on a zero base is NULL). Per-capita amounts are 元 per person,
-- rounded half-up to 2 places. `flagged` says whether variance_flag flags the change; the
-- contributions of child items are the view variance_contribution.
WITH amounts AS (
    SELECT region_code, year, fund_code, item_code,
           CAST(COALESCE(
               SUM(amount_yuan) FILTER (WHERE scenario = 'adjusted_budget'),
               SUM(amount_yuan) FILTER (WHERE scenario = 'budget')
           ) AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(SUM(amount_yuan) FILTER (WHERE scenario = 'actual') AS DECIMAL(20, 2))
               AS actual_yuan
    FROM item_amount_v1
    GROUP BY region_code, year, fund_code, item_code
),
top_items AS (
    SELECT a.region_code, a.year, a.fund_code, i.direction, a.item_code,
           i.name_zh AS item_name, a.budget_yuan, a.actual_yuan
    FROM amounts a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE i.parent_code IS NULL AND i.direction IN ('income', 'expense')
),
totals AS (
    SELECT a.region_code, a.year, a.fund_code, i.direction, 'total' AS item_code,
           CASE i.direction WHEN 'income' THEN '总收入' ELSE '总支出' END AS item_name,
           CAST(SUM(a.budget_yuan) AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(SUM(a.actual_yuan) AS DECIMAL(20, 2)) AS actual_yuan
    FROM amounts a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE i.parent_code IS NULL AND i.direction IN ('income', 'expense') AND NOT i.memo
    GROUP BY a.region_code, a.year, a.fund_code, i.direction
),
nodes AS (
    SELECT * FROM top_items
    UNION ALL
    SELECT * FROM totals
),
changes AS (
    SELECT region_code, year, fund_code, direction, item_code, item_name,
           'execution_rate' AS measure, year AS base_year,
           budget_yuan AS base_yuan, actual_yuan AS value_yuan
    FROM nodes
    WHERE budget_yuan IS NOT NULL AND actual_yuan IS NOT NULL
    UNION ALL
    SELECT c.region_code, c.year, c.fund_code, c.direction, c.item_code, c.item_name,
           'growth' AS measure, p.year AS base_year,
           p.actual_yuan AS base_yuan, c.actual_yuan AS value_yuan
    FROM nodes c
    JOIN nodes p
      ON p.region_code = c.region_code AND p.year = c.year - 1 AND p.fund_code = c.fund_code
     AND p.direction = c.direction AND p.item_code = c.item_code
    WHERE c.actual_yuan IS NOT NULL AND p.actual_yuan IS NOT NULL
),
-- The item → count-of-persons pairs are per_capita's own, read from its rows so the mapping is
-- written once.
basis AS (
    SELECT DISTINCT fund_code, item_code, measure AS headcount_measure FROM per_capita_v1
),
persons AS (
    SELECT region_code, year, fund_code, measure,
           COALESCE(
               SUM(persons) FILTER (WHERE scenario = 'adjusted_budget'),
               SUM(persons) FILTER (WHERE scenario = 'budget')
           ) AS budget_persons,
           SUM(persons) FILTER (WHERE scenario = 'actual') AS actual_persons
    FROM headcount
    WHERE breakdown = 'total' AND member = 'all'
    GROUP BY region_code, year, fund_code, measure
),
counted AS (
    SELECT c.*, b.headcount_measure,
           CASE c.measure WHEN 'execution_rate' THEN pb.budget_persons ELSE pb.actual_persons END
               AS q0,
           pv.actual_persons AS q1
    FROM changes c
    LEFT JOIN basis b ON b.fund_code = c.fund_code AND b.item_code = c.item_code
    LEFT JOIN persons pb
           ON pb.region_code = c.region_code AND pb.year = c.base_year
          AND pb.fund_code = c.fund_code AND pb.measure = b.headcount_measure
    LEFT JOIN persons pv
           ON pv.region_code = c.region_code AND pv.year = c.year
          AND pv.fund_code = c.fund_code AND pv.measure = b.headcount_measure
),
split AS (
    SELECT *,
           CAST((value_yuan - base_yuan) / 10000 AS DECIMAL(18, 2)) AS change_wan,
           CASE WHEN q0 > 0 AND q1 > 0 THEN
               -- Δq × A0 / q0: one division, so one rounding before the cast
               CAST(CAST(q1 - q0 AS DECIMAL(20, 0)) * base_yuan / CAST(q0 AS DECIMAL(20, 0))
                    / 10000 AS DECIMAL(18, 2))
           END AS volume_wan,
           CASE WHEN q0 > 0 AND q1 > 0 THEN
               -- Δp × q0 = A1 × q0 / q1 − A0
               CAST((value_yuan * CAST(q0 AS DECIMAL(20, 0)) / CAST(q1 AS DECIMAL(20, 0))
                     - base_yuan) / 10000 AS DECIMAL(18, 2))
           END AS rate_wan
    FROM counted
)
SELECT s.region_code, s.year, s.fund_code, s.direction, s.item_code, s.item_name, s.measure,
       f.measure IS NOT NULL AS flagged, s.base_year,
       CAST(s.base_yuan / 10000 AS DECIMAL(18, 2)) AS base_wan,
       CAST(s.value_yuan / 10000 AS DECIMAL(18, 2)) AS value_wan,
       s.change_wan,
       s.headcount_measure, s.q0 AS base_persons, s.q1 AS value_persons,
       CAST(s.base_yuan / CAST(NULLIF(s.q0, 0) AS DECIMAL(20, 0)) AS DECIMAL(18, 2))
           AS base_per_capita,
       CAST(s.value_yuan / CAST(NULLIF(s.q1, 0) AS DECIMAL(20, 0)) AS DECIMAL(18, 2))
           AS value_per_capita,
       s.volume_wan, s.rate_wan,
       CAST(s.change_wan - s.volume_wan - s.rate_wan AS DECIMAL(18, 2)) AS interaction_wan
FROM split s
LEFT JOIN variance_flag_v1 f
       ON f.region_code = s.region_code AND f.year = s.year AND f.fund_code = s.fund_code
      AND f.direction = s.direction AND f.item_code = s.item_code AND f.measure = s.measure
ORDER BY s.region_code, s.year, s.fund_code, s.measure, s.direction, s.item_code
