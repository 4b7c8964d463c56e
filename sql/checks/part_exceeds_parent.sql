-- error: a 其中 item (of_which: a part of its parent) is larger than its parent, in the same
-- region, year and scenario.
SELECT 'error' AS severity, part.region_code, part.year, part.fund_code, part.item_code,
       part.scenario || ': the part ' || CAST(CAST(part.amount_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR)
           || ' 万元 exceeds its parent ' || i.parent_code || ' ('
           || CAST(CAST(whole.amount_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR) || ' 万元)'
           AS message
FROM item_amount_v1 part
JOIN item i ON i.fund_code = part.fund_code AND i.item_code = part.item_code
JOIN item_amount_v1 whole
  ON whole.region_code = part.region_code AND whole.year = part.year
 AND whole.fund_code = part.fund_code AND whole.item_code = i.parent_code
 AND whole.scenario = part.scenario
WHERE i.of_which AND part.amount_yuan > whole.amount_yuan
