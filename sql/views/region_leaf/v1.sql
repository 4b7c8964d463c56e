-- The region tree flattened for roll-ups: every region with each leaf region under it (a leaf is
-- a region no other region names as its parent; a leaf lists itself), at any depth. Roll-up views
-- sum leaves only, never a region's own rows together with its children's, so a data folder whose
-- ledger already states city and province totals (ledger_from_detail) is not counted twice.
-- depth is the number of steps from the region down to the leaf (0 for the leaf itself); the
-- walk stops after 8 steps, so a cycle in region.parent_code cannot run forever.
WITH RECURSIVE under (region_code, leaf_code, depth) AS (
    SELECT r.region_code, r.region_code AS leaf_code, 0 AS depth
    FROM region r
    WHERE NOT EXISTS (SELECT 1 FROM region c WHERE c.parent_code = r.region_code)
    UNION ALL
    SELECT r.parent_code AS region_code, u.leaf_code, u.depth + 1 AS depth
    FROM under u
    JOIN region r ON r.region_code = u.region_code
    WHERE r.parent_code IS NOT NULL AND u.depth < 8
)
SELECT u.region_code, g.name_zh AS region_name, g.level, g.parent_code, u.leaf_code, u.depth
FROM under u
JOIN region g ON g.region_code = u.region_code
