-- The benefit breakdown (待遇支出明细): every item under a fund's `benefit` item with its actual
-- amount, 其中 items and their children nested (_level), then the sum of the stated breakdown
-- (as report_figure's benefit_breakdown_total) and the stated benefit total, which differ when
-- the source's breakdown is incomplete.
WITH tree AS (
    SELECT i1.fund_code, i1.item_code, i1.name_zh, i1.sort_order, 1 AS level
    FROM item i1 WHERE i1.parent_code = 'benefit'
    UNION ALL
    SELECT i2.fund_code, i2.item_code, i2.name_zh, i2.sort_order, 2
    FROM item i2 JOIN item p ON p.fund_code = i2.fund_code AND p.item_code = i2.parent_code
    WHERE p.parent_code = 'benefit'
    UNION ALL
    SELECT i3.fund_code, i3.item_code, i3.name_zh, i3.sort_order, 3
    FROM item i3
    JOIN item p ON p.fund_code = i3.fund_code AND p.item_code = i3.parent_code
    JOIN item g ON g.fund_code = p.fund_code AND g.item_code = p.parent_code
    WHERE g.parent_code = 'benefit'
),
items AS (
    SELECT t.fund_code, t.name_zh AS item_name, NULL AS kind_key,
           CAST(a.amount_yuan / 10000 AS DECIMAL(18, 2)) AS actual_wan,
           t.level AS _level, false AS _total, t.sort_order AS position
    FROM tree t
    JOIN item_amount_rollup_v1 a
      ON a.fund_code = t.fund_code AND a.item_code = t.item_code AND a.scenario = 'actual'
    WHERE a.region_code = $region AND a.year = $year
),
totals AS (
    SELECT l.fund_code, NULL AS item_name, 'breakdown_total' AS kind_key,
           CAST(SUM(l.amount_yuan) / 10000 AS DECIMAL(18, 2)) AS actual_wan, 0 AS _level,
           true AS _total, 2147483646 AS position
    FROM ledger l
    JOIN item i ON i.fund_code = l.fund_code AND i.item_code = l.item_code
    WHERE l.region_code = $region AND l.year = $year AND l.scenario = 'actual'
      AND i.parent_code = 'benefit' AND NOT i.of_which
    GROUP BY l.fund_code
    UNION ALL
    SELECT a.fund_code, i.name_zh, 'stated_total',
           CAST(a.amount_yuan / 10000 AS DECIMAL(18, 2)), 0, true, 2147483647
    FROM item_amount_rollup_v1 a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE a.region_code = $region AND a.year = $year AND a.scenario = 'actual'
      AND a.item_code = 'benefit'
      AND a.fund_code IN (SELECT fund_code FROM tree)
)
SELECT fund_code, item_name, kind_key, actual_wan, _level, _total
FROM (SELECT * FROM items UNION ALL SELECT * FROM totals)
ORDER BY fund_code, position
