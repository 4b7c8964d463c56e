-- Every fund_code must be a fund of the fund table.
SELECT i._row AS file_row, 'fund_code' AS file_column, i.fund_code AS value,
       'is not a fund_code of the fund table; import the fund first' AS expected
FROM incoming i
LEFT JOIN fund f ON f.fund_code = i.fund_code
WHERE f.fund_code IS NULL
