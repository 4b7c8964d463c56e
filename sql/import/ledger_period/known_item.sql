-- Every (fund_code, item_code) must be an item of the item table.
SELECT i._row AS file_row, 'item_code' AS file_column, i.item_code AS value,
       'is not an item of fund ' || i.fund_code || ' in the item table; import the item first'
           AS expected
FROM incoming i
LEFT JOIN item t ON t.fund_code = i.fund_code AND t.item_code = i.item_code
WHERE t.item_code IS NULL
