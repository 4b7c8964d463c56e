-- item_amount summed over the region tree: for every region, the amount of each item, year,
-- fund and scenario summed over the leaf regions under it (a leaf's own amount for a leaf), in
-- exact yuan; leaves counts the leaf regions that have the amount (stated or derived). A region's
-- own stated rows above the leaves are not added (rollup_consistency compares them with the sum
-- of their children instead), so ledger_from_detail's city and province rows are not counted twice.
--
-- v2: adds the one definition of "a partial sum is not a total": leaves_without counts the leaf
-- regions under the region that have the item's parent in that year, fund and scenario but not
-- the item itself (a county stating 养老保险支出 without its part 基本养老金支出 has an unknown
-- share of it, not none), and complete is true when there are none. A top-level item is always
-- complete: a region without it has none of it. Views that divide or rank a roll-up
-- (per_capita_rollup v2, region_rank v2) read only complete amounts.
WITH leaf_amounts AS (
    SELECT t.region_code, t.leaf_code, a.year, a.fund_code, a.item_code, a.scenario,
           a.amount_yuan
    FROM region_leaf_v1 t
    JOIN item_amount_v1 a ON a.region_code = t.leaf_code
),
sums AS (
    SELECT region_code, year, fund_code, item_code, scenario,
           CAST(SUM(amount_yuan) AS DECIMAL(20, 2)) AS amount_yuan, COUNT(*) AS leaves
    FROM leaf_amounts
    GROUP BY region_code, year, fund_code, item_code, scenario
),
-- Per leaf, each child item of a parent it has, and whether the leaf has the child too.
children_of_stated_parents AS (
    SELECT p.region_code, p.leaf_code, p.year, p.fund_code, i.item_code, p.scenario
    FROM leaf_amounts p
    JOIN item i ON i.fund_code = p.fund_code AND i.parent_code = p.item_code
),
without_child AS (
    SELECT c.region_code, c.year, c.fund_code, c.item_code, c.scenario,
           COUNT(*) AS leaves_without
    FROM children_of_stated_parents c
    LEFT JOIN item_amount_v1 a
           ON a.region_code = c.leaf_code AND a.year = c.year AND a.fund_code = c.fund_code
          AND a.item_code = c.item_code AND a.scenario = c.scenario
    WHERE a.item_code IS NULL
    GROUP BY c.region_code, c.year, c.fund_code, c.item_code, c.scenario
)
SELECT s.region_code, s.year, s.fund_code, s.item_code, s.scenario, s.amount_yuan, s.leaves,
       COALESCE(w.leaves_without, 0) AS leaves_without,
       COALESCE(w.leaves_without, 0) = 0 AS complete
FROM sums s
LEFT JOIN without_child w
       ON w.region_code = s.region_code AND w.year = s.year AND w.fund_code = s.fund_code
      AND w.item_code = s.item_code AND w.scenario = s.scenario
