-- A benefit standard is never negative.
SELECT _row AS file_row, 'amount' AS file_column, CAST(monthly_amount_yuan AS VARCHAR) AS value,
       'is negative; a benefit standard is 0 or more' AS expected
FROM incoming
WHERE monthly_amount_yuan < 0
