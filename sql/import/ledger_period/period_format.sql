-- A period is a month 'YYYY-MM' (01 to 12) or a quarter 'YYYY-Qn' (Q1 to Q4) of a year from 1990
-- to 2100: '2023-09', '2023-Q3'.
SELECT _row AS file_row, 'period' AS file_column, period AS value,
       CASE
           WHEN regexp_like(period, '^[0-9]{4}-[0-9]{2}$')
               THEN 'has a month out of range; expected a month 01 to 12, as in 2023-09'
           WHEN regexp_like(period, '^[0-9]{4}-Q[0-9]$')
               THEN 'has a quarter out of range; expected Q1 to Q4, as in 2023-Q3'
           WHEN regexp_like(period, '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$')
               THEN 'has a year out of range; expected a year from 1990 to 2100'
           ELSE 'is not a period; expected a month YYYY-MM or a quarter YYYY-Qn, as in 2023-09 or 2023-Q3'
       END AS expected
FROM incoming
WHERE NOT regexp_like(period, '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$')
   OR CAST(substr(period, 1, 4) AS INT) NOT BETWEEN 1990 AND 2100
