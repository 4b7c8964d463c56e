-- Years are plausible fund years.
SELECT _row AS file_row, 'year' AS file_column, CAST(year AS VARCHAR) AS value,
       'is out of range; expected a year from 1990 to 2100' AS expected
FROM incoming
WHERE year NOT BETWEEN 1990 AND 2100
