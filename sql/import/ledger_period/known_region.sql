-- Every region_code must be a region of the region table.
SELECT i._row AS file_row, 'region_code' AS file_column, i.region_code AS value,
       'is not a region_code of the region table; import the region first' AS expected
FROM incoming i
LEFT JOIN region r ON r.region_code = i.region_code
WHERE r.region_code IS NULL
