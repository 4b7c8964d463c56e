-- A count of persons is never negative.
SELECT _row AS file_row, 'persons' AS file_column, CAST(persons AS VARCHAR) AS value,
       'is negative; a count of persons is 0 or more' AS expected
FROM incoming
WHERE persons < 0
