-- per_capita for every region of the tree: each indicator recomputed from the amount and the
-- count of persons summed over the leaf regions (item_amount_rollup, headcount_rollup), never an
-- average of the leaves' per-capita values. Same indicators, columns and rounding as per_capita;
-- for a leaf the figures equal per_capita's.
--
-- v2: an amount that is a partial sum (item_amount_rollup v2: some leaf regions state only the
-- item's parent) gives a NULL numerator, value and growth, and the added column note says why;
-- v1 divided the part by every leaf's persons. note is NULL for a complete figure.
WITH definitions (indicator, item_code, measure, unit, yuan_per_unit, decimals) AS (
    VALUES
        ('contribution_per_contributor', 'contribution', 'contributors', '元/人', 1, 2),
        ('basic_pension_per_retiree', 'basic_pension', 'retired', '万元/人', 10000, 4),
        ('funeral_grant_per_recipient', 'funeral_survivor', 'funeral_recipients', '元/人', 1, 2),
        ('benefit_per_beneficiary', 'benefit', 'beneficiaries', '元/人', 1, 2)
),
amounts AS (
    -- A partial sum is not a total (item_amount_rollup v2): an incomplete amount divides nothing.
    SELECT region_code, year, fund_code, item_code,
           CASE WHEN complete THEN amount_yuan END AS amount_yuan,
           CASE WHEN NOT complete
                THEN item_code || ' is stated by ' || CAST(leaves AS VARCHAR) || ' of the '
                     || CAST(leaves + leaves_without AS VARCHAR)
                     || ' leaf regions that state its parent item; a partial sum is not a total'
           END AS note
    FROM item_amount_rollup_v2
    WHERE scenario = 'actual'
),
persons AS (
    SELECT region_code, year, fund_code, measure, persons
    FROM headcount_rollup_v1
    WHERE breakdown = 'total' AND member = 'all' AND scenario = 'actual'
),
figures AS (
    SELECT a.region_code, a.year, a.fund_code, d.indicator, d.item_code, d.measure, d.unit,
           d.decimals, a.amount_yuan, p.persons, a.note,
           a.amount_yuan / CAST(d.yuan_per_unit AS DECIMAL(20, 0)) / NULLIF(p.persons, 0)
               AS exact_value
    FROM definitions d
    JOIN amounts a ON a.item_code = d.item_code
    JOIN persons p
      ON p.region_code = a.region_code AND p.year = a.year AND p.fund_code = a.fund_code
     AND p.measure = d.measure
),
rounded AS (
    SELECT *,
           CASE decimals
               WHEN 2 THEN CAST(CAST(exact_value AS DECIMAL(20, 2)) AS DECIMAL(20, 4))
               ELSE CAST(exact_value AS DECIMAL(20, 4))
           END AS value
    FROM figures
)
SELECT c.region_code, c.year, c.fund_code, c.indicator, c.item_code,
       CAST(c.amount_yuan / 10000 AS DECIMAL(18, 2)) AS numerator_wan,
       c.measure, c.persons AS denominator,
       c.value, c.unit, p.value AS previous,
       CAST((c.exact_value - p.exact_value) * 100 / NULLIF(p.exact_value, 0)
            AS DECIMAL(12, 2)) AS growth,
       c.note
FROM rounded c
LEFT JOIN rounded p
       ON p.region_code = c.region_code AND p.year = c.year - 1
      AND p.fund_code = c.fund_code AND p.indicator = c.indicator
ORDER BY c.region_code, c.year, c.fund_code, c.indicator
