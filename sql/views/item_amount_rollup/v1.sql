-- item_amount summed over the region tree: for every region, the amount of each item, year,
-- fund and scenario summed over the leaf regions under it (a leaf's own amount for a leaf), in
-- exact yuan; leaves counts the leaf regions that have the amount (stated or derived). A region's
-- own stated rows above the leaves are not added (rollup_consistency compares them with the sum
-- of their children instead), so ledger_from_detail's city and province rows are not counted twice.
SELECT t.region_code, a.year, a.fund_code, a.item_code, a.scenario,
       CAST(SUM(a.amount_yuan) AS DECIMAL(20, 2)) AS amount_yuan,
       COUNT(*) AS leaves
FROM region_leaf_v1 t
JOIN item_amount_v1 a ON a.region_code = t.leaf_code
GROUP BY t.region_code, a.year, a.fund_code, a.item_code, a.scenario
