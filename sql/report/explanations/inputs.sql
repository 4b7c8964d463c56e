-- The inputs of the drafted explanations (说明草稿): one row per variance that needs an
-- explanation (variance_flag) in $region and $year, with the figures a sentence in the report's
-- style is built from — the change, persons and amount per person on both sides with the volume,
-- rate and interaction effects (variance_driver), and the two children that moved the most
-- (variance_contribution) — and the analyst's note. `draft` is true until the note table holds
-- the analyst's text for the item: then the note is shown and no sentence is drafted. The
-- sentences are the minijinja templates zh.txt and en.txt beside this file; every figure is a
-- column here, already rounded: a template only places text. `*_dir` is 'up', 'down' or 'flat'
-- (NULL without figures); `*_abs_*` is the size of a change without its sign.
WITH flagged AS (
    SELECT v.region_code, v.year, v.fund_code, v.direction, v.item_code, v.item_name,
           v.measure, v.figure, v.note
    FROM variance_flag_v1 v
    WHERE v.region_code = $region AND v.year = $year
),
drivers AS (
    SELECT d.*
    FROM variance_driver_v1 d
    WHERE d.region_code = $region AND d.year = $year
),
moved AS (
    SELECT c.region_code, c.year, c.fund_code, c.direction, c.item_code, c.measure,
           c.child_code, c.child_name, c.contribution_wan, c.share
    FROM variance_contribution_v1 c
    WHERE c.region_code = $region AND c.year = $year AND c.kind = 'child'
      AND c.contribution_wan <> 0
),
-- Each child's place by the size of its contribution (1 = moved most; ties by child code),
-- counted with a join rather than a window function: a Ballista cluster loses the ordering a
-- window over six partition columns needs.
ranked AS (
    SELECT a.region_code, a.year, a.fund_code, a.direction, a.item_code, a.measure,
           a.child_name, a.contribution_wan, a.share, COUNT(b.child_code) + 1 AS rank
    FROM moved a
    LEFT JOIN moved b
           ON b.region_code = a.region_code AND b.year = a.year AND b.fund_code = a.fund_code
          AND b.direction = a.direction AND b.item_code = a.item_code AND b.measure = a.measure
          AND (ABS(b.contribution_wan) > ABS(a.contribution_wan)
               OR (ABS(b.contribution_wan) = ABS(a.contribution_wan)
                   AND b.child_code < a.child_code))
    GROUP BY a.region_code, a.year, a.fund_code, a.direction, a.item_code, a.measure,
             a.child_code, a.child_name, a.contribution_wan, a.share
),
children AS (
    SELECT region_code, year, fund_code, direction, item_code, measure,
           MAX(child_name) FILTER (WHERE rank = 1) AS child1_name,
           MAX(contribution_wan) FILTER (WHERE rank = 1) AS child1_wan,
           MAX(share) FILTER (WHERE rank = 1) AS child1_share,
           MAX(child_name) FILTER (WHERE rank = 2) AS child2_name,
           MAX(contribution_wan) FILTER (WHERE rank = 2) AS child2_wan,
           MAX(share) FILTER (WHERE rank = 2) AS child2_share
    FROM ranked
    WHERE rank <= 2
    GROUP BY region_code, year, fund_code, direction, item_code, measure
)
SELECT f.fund_code, f.direction, f.item_code, f.item_name, f.measure, f.figure,
       CAST(ABS(f.figure) AS DECIMAL(12, 2)) AS figure_abs,
       f.note IS NULL AS draft, f.note,
       d.base_year, d.year, d.base_wan, d.value_wan, d.change_wan,
       CAST(ABS(d.change_wan) AS DECIMAL(18, 2)) AS change_abs_wan,
       CASE WHEN d.change_wan > 0 THEN 'up' WHEN d.change_wan < 0 THEN 'down'
            WHEN d.change_wan = 0 THEN 'flat' END AS change_dir,
       d.headcount_measure, d.base_persons, d.value_persons,
       ABS(d.value_persons - d.base_persons) AS persons_abs_change,
       CASE WHEN d.value_persons > d.base_persons THEN 'up'
            WHEN d.value_persons < d.base_persons THEN 'down'
            WHEN d.value_persons = d.base_persons THEN 'flat' END AS persons_dir,
       d.base_per_capita, d.value_per_capita,
       CAST(ABS(d.value_per_capita - d.base_per_capita) AS DECIMAL(18, 2))
           AS per_capita_abs_change,
       CASE WHEN d.value_per_capita > d.base_per_capita THEN 'up'
            WHEN d.value_per_capita < d.base_per_capita THEN 'down'
            WHEN d.value_per_capita = d.base_per_capita THEN 'flat' END
           AS per_capita_dir,
       d.volume_wan, CAST(ABS(d.volume_wan) AS DECIMAL(18, 2)) AS volume_abs_wan,
       CASE WHEN d.volume_wan > 0 THEN 'up' WHEN d.volume_wan < 0 THEN 'down'
            WHEN d.volume_wan = 0 THEN 'flat' END AS volume_dir,
       d.rate_wan, CAST(ABS(d.rate_wan) AS DECIMAL(18, 2)) AS rate_abs_wan,
       CASE WHEN d.rate_wan > 0 THEN 'up' WHEN d.rate_wan < 0 THEN 'down'
            WHEN d.rate_wan = 0 THEN 'flat' END AS rate_dir,
       d.interaction_wan,
       c.child1_name, c.child1_wan, CAST(ABS(c.child1_wan) AS DECIMAL(18, 2)) AS child1_abs_wan,
       CASE WHEN c.child1_wan > 0 THEN 'up' WHEN c.child1_wan < 0 THEN 'down' END AS child1_dir,
       c.child1_share,
       c.child2_name, c.child2_wan, CAST(ABS(c.child2_wan) AS DECIMAL(18, 2)) AS child2_abs_wan,
       CASE WHEN c.child2_wan > 0 THEN 'up' WHEN c.child2_wan < 0 THEN 'down' END AS child2_dir,
       c.child2_share
FROM flagged f
JOIN drivers d
  ON d.region_code = f.region_code AND d.year = f.year AND d.fund_code = f.fund_code
 AND d.direction = f.direction AND d.item_code = f.item_code AND d.measure = f.measure
LEFT JOIN children c
       ON c.region_code = f.region_code AND c.year = f.year AND c.fund_code = f.fund_code
      AND c.direction = f.direction AND c.item_code = f.item_code AND c.measure = f.measure
ORDER BY f.fund_code, f.measure, f.direction, f.item_code
