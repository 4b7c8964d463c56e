-- An item is income, expense or a balance.
SELECT _row AS file_row, 'direction' AS file_column, direction AS value,
       'is not a direction; expected income, expense or balance' AS expected
FROM incoming
WHERE direction NOT IN ('income', 'expense', 'balance')
