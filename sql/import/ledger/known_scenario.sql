-- A scenario is budget, adjusted_budget or actual.
SELECT _row AS file_row, 'scenario' AS file_column, scenario AS value,
       'is not a scenario; expected budget, adjusted_budget or actual' AS expected
FROM incoming
WHERE scenario NOT IN ('budget', 'adjusted_budget', 'actual')
