-- The region tree flattened for roll-ups: every region with each leaf region under it (a leaf is
-- a region no other region names as its parent; a leaf lists itself). Roll-up views sum leaves
-- only, never a region's own rows together with its children's, so a data folder whose ledger
-- already states city and province totals (ledger_from_detail) is not counted twice. depth is
-- the number of steps from the region down to the leaf (0 for the leaf itself). The walk up
-- from each leaf is four fixed steps (county → city → province → two more levels), written as
-- joins rather than a recursive query so that it also runs on a Ballista cluster, which cannot
-- ship a recursive plan; GB/T 2260 trees have three levels.
WITH leaves AS (
    SELECT r.region_code AS leaf_code, r.parent_code AS up1
    FROM region r
    WHERE NOT EXISTS (SELECT 1 FROM region c WHERE c.parent_code = r.region_code)
),
chains AS (
    SELECT l.leaf_code, l.up1, r2.parent_code AS up2, r3.parent_code AS up3,
           r4.parent_code AS up4
    FROM leaves l
    LEFT JOIN region r2 ON r2.region_code = l.up1
    LEFT JOIN region r3 ON r3.region_code = r2.parent_code
    LEFT JOIN region r4 ON r4.region_code = r3.parent_code
),
under AS (
    SELECT leaf_code AS region_code, leaf_code, 0 AS depth FROM chains
    UNION ALL SELECT up1, leaf_code, 1 FROM chains WHERE up1 IS NOT NULL
    UNION ALL SELECT up2, leaf_code, 2 FROM chains WHERE up2 IS NOT NULL
    UNION ALL SELECT up3, leaf_code, 3 FROM chains WHERE up3 IS NOT NULL
    UNION ALL SELECT up4, leaf_code, 4 FROM chains WHERE up4 IS NOT NULL
)
SELECT u.region_code, g.name_zh AS region_name, g.level, g.parent_code, u.leaf_code, u.depth
FROM under u
JOIN region g ON g.region_code = u.region_code
