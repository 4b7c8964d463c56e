-- The headcount table summed over the region tree: for every region, each count of persons
-- (measure, breakdown, member, scenario) summed over the leaf regions under it (a leaf's own
-- count for a leaf). Same columns as the headcount table. A person is insured in one county, so
-- the sums are counts of persons; a region's own stated counts above the leaves are not added.
SELECT t.region_code, h.year, h.fund_code, h.measure, h.breakdown, h.member, h.scenario,
       SUM(h.persons) AS persons
FROM region_leaf_v1 t
JOIN headcount h ON h.region_code = t.leaf_code
GROUP BY t.region_code, h.year, h.fund_code, h.measure, h.breakdown, h.member, h.scenario
