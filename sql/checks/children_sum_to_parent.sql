-- error: an item's stated amount differs from the sum of its stated direct children (its
-- breakdown), in the same region, year and scenario. 其中 items (of_which) are parts of their
-- parent, not a breakdown, and are left out of the sum.
WITH children AS (
    SELECT l.region_code, l.year, l.fund_code, i.parent_code AS item_code, l.scenario,
           SUM(l.amount_yuan) AS children_yuan, COUNT(*) AS children
    FROM ledger l
    JOIN item i ON i.fund_code = l.fund_code AND i.item_code = l.item_code
    WHERE i.parent_code IS NOT NULL AND NOT i.of_which
    GROUP BY l.region_code, l.year, l.fund_code, i.parent_code, l.scenario
)
SELECT 'error' AS severity, p.region_code, p.year, p.fund_code, p.item_code,
       p.scenario || ': stated ' || CAST(CAST(p.amount_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' 万元 but its ' || CAST(c.children AS VARCHAR) || ' stated children sum to '
           || CAST(CAST(c.children_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' 万元 (difference '
           || CAST(CAST((p.amount_yuan - c.children_yuan) / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' 万元)' AS message
FROM ledger p
JOIN children c
  ON c.region_code = p.region_code AND c.year = p.year AND c.fund_code = p.fund_code
 AND c.item_code = p.item_code AND c.scenario = p.scenario
WHERE p.amount_yuan <> c.children_yuan
