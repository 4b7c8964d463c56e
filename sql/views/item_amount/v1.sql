-- Amount of every item per region, year, fund and scenario, in exact yuan: the stated amount,
-- or, where an item is not stated itself, the sum of its stated direct children (其中 items
-- excluded, they are parts, not a breakdown). `derived` says which.
WITH stated AS (
    SELECT region_code, year, fund_code, item_code, scenario,
           CAST(amount_yuan AS DECIMAL(20, 2)) AS amount_yuan
    FROM ledger
),
from_children AS (
    SELECT s.region_code, s.year, s.fund_code, i.parent_code AS item_code, s.scenario,
           CAST(SUM(s.amount_yuan) AS DECIMAL(20, 2)) AS amount_yuan
    FROM stated s
    JOIN item i ON i.fund_code = s.fund_code AND i.item_code = s.item_code
    WHERE i.parent_code IS NOT NULL AND NOT i.of_which
    GROUP BY s.region_code, s.year, s.fund_code, i.parent_code, s.scenario
)
SELECT region_code, year, fund_code, item_code, scenario, amount_yuan, false AS derived
FROM stated
UNION ALL
SELECT c.region_code, c.year, c.fund_code, c.item_code, c.scenario, c.amount_yuan, true AS derived
FROM from_children c
WHERE NOT EXISTS (
    SELECT 1 FROM stated s
    WHERE s.region_code = c.region_code AND s.year = c.year AND s.fund_code = c.fund_code
      AND s.item_code = c.item_code AND s.scenario = c.scenario
)
