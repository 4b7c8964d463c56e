-- A parent_code names an item of the same fund, in this file or already stored.
SELECT i._row AS file_row, 'parent_code' AS file_column, i.parent_code AS value,
       'is not an item of fund ' || i.fund_code || ' (in this file or the item table)' AS expected
FROM incoming i
WHERE i.parent_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM incoming p
                  WHERE p.fund_code = i.fund_code AND p.item_code = i.parent_code)
  AND NOT EXISTS (SELECT 1 FROM item s
                  WHERE s.fund_code = i.fund_code AND s.item_code = i.parent_code)
