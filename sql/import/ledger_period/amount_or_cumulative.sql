-- A row states what was executed in the period, or from January to its end, or both.
SELECT _row AS file_row, 'amount_yuan' AS file_column, '' AS value,
       'is empty and so is cumulative_yuan; give the period''s amount (当期执行数) or the cumulative one (累计执行数)'
           AS expected
FROM incoming
WHERE amount_yuan IS NULL AND cumulative_yuan IS NULL
