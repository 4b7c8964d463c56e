-- Periods of a year must add up, in the file and against the periods already stored (those the
-- file does not restate): a cumulative figure (累计执行数) never decreases from one period end to
-- a later one; the three months of a quarter add up to the quarter; and where a period states
-- both, its amount is its cumulative figure less the one at the end of the period before.
-- A cumulative is the stated one or, where a period end states none, the one its months imply
-- (January to that month, every month stating an amount, as period_amount derives it): a file's
-- 累计 below the sum of the months already stored is refused, not only one below a stated 累计.
-- Problems are reported on a row of the file (the later period, or the quarter).
WITH incoming_rows AS (
    SELECT _row, region_code, period, fund_code, item_code, amount_yuan, cumulative_yuan
    FROM incoming
    WHERE regexp_like(period, '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$')
),
stored_rows AS (
    SELECT CAST(NULL AS BIGINT) AS _row, s.region_code, s.period, s.fund_code, s.item_code,
           s.amount_yuan, s.cumulative_yuan
    FROM ledger_period s
    WHERE NOT EXISTS (
        SELECT 1 FROM incoming i WHERE i.region_code = s.region_code AND i.period = s.period
    )
),
all_rows AS (
    SELECT r.*,
           substr(r.period, 1, 4) AS year,
           CASE WHEN substr(r.period, 6, 1) = 'Q' THEN CAST(substr(r.period, 7, 1) AS INT) * 3
                ELSE CAST(substr(r.period, 6, 2) AS INT) END AS end_month,
           CASE WHEN substr(r.period, 6, 1) = 'Q' THEN 3 ELSE 1 END AS months
    FROM (SELECT * FROM incoming_rows UNION ALL SELECT * FROM stored_rows) r
),
ends AS (
    SELECT DISTINCT region_code, year, fund_code, item_code, end_month FROM all_rows
),
month_sums AS (
    -- The cumulative January's to a period end's months imply, where every one of them states an
    -- amount and the end states no cumulative itself; last_row is the file's latest row among
    -- them (NULL when all are stored).
    SELECT e.region_code, e.year, e.fund_code, e.item_code, e.end_month,
           SUM(m.amount_yuan) AS cumulative_yuan, MAX(m._row) AS last_row,
           MAX(m.period) AS through_period
    FROM ends e
    JOIN all_rows m
      ON m.region_code = e.region_code AND m.year = e.year AND m.fund_code = e.fund_code
     AND m.item_code = e.item_code AND m.months = 1 AND m.amount_yuan IS NOT NULL
     AND m.end_month <= e.end_month
    LEFT JOIN all_rows c
           ON c.region_code = e.region_code AND c.year = e.year AND c.fund_code = e.fund_code
          AND c.item_code = e.item_code AND c.end_month = e.end_month
          AND c.cumulative_yuan IS NOT NULL
    WHERE c.cumulative_yuan IS NULL
    GROUP BY e.region_code, e.year, e.fund_code, e.item_code, e.end_month
    HAVING COUNT(*) = e.end_month
),
cumulatives AS (
    SELECT _row, region_code, year, fund_code, item_code, end_month, period, cumulative_yuan,
           true AS stated
    FROM all_rows
    WHERE cumulative_yuan IS NOT NULL
    UNION ALL
    SELECT last_row, region_code, year, fund_code, item_code, end_month, through_period,
           cumulative_yuan, false
    FROM month_sums
),
decreasing AS (
    -- Reported on the file's row: the later period, or the earlier one when the later is stored.
    -- Two cumulatives that are both implied by months are not compared: a month's amount may be
    -- negative (a refund), and suspicious_negative warns about it.
    SELECT COALESCE(later._row, earlier._row) AS file_row, 'cumulative_yuan' AS file_column,
           CAST(CASE WHEN later._row IS NULL THEN earlier.cumulative_yuan
                     ELSE later.cumulative_yuan END AS VARCHAR) AS value,
           CASE WHEN later._row IS NULL
                THEN 'is more than the cumulative ' || CAST(later.cumulative_yuan AS VARCHAR)
                     || ' yuan up to ' || later.period || ' (stored), a later period'
                WHEN NOT earlier.stated
                THEN 'is less than ' || CAST(earlier.cumulative_yuan AS VARCHAR)
                     || ' yuan, the sum of the months up to ' || earlier.period
                     || CASE WHEN earlier._row IS NULL THEN ' (stored)' ELSE '' END
                ELSE 'is less than the cumulative ' || CAST(earlier.cumulative_yuan AS VARCHAR)
                     || ' yuan up to ' || earlier.period
                     || CASE WHEN earlier._row IS NULL THEN ' (stored)'
                             ELSE ' (row ' || CAST(earlier._row AS VARCHAR) || ')' END
           END || '; a cumulative figure never decreases within a year' AS expected
    FROM cumulatives later
    JOIN cumulatives earlier
      ON earlier.region_code = later.region_code AND earlier.year = later.year
     AND earlier.fund_code = later.fund_code AND earlier.item_code = later.item_code
     AND earlier.end_month < later.end_month
    WHERE (later._row IS NOT NULL OR earlier._row IS NOT NULL)
      AND (later.stated OR earlier.stated)
      AND later.cumulative_yuan < earlier.cumulative_yuan
),
quarter_months AS (
    SELECT q._row AS quarter_row, q.period, q.amount_yuan AS quarter_yuan,
           SUM(m.amount_yuan) AS months_yuan, COUNT(m.amount_yuan) AS months_stated,
           MAX(m._row) AS last_month_row,
           string_agg(m.period, ', ' ORDER BY m.period) AS month_periods
    FROM all_rows q
    JOIN all_rows m
      ON m.region_code = q.region_code AND m.year = q.year
     AND m.fund_code = q.fund_code AND m.item_code = q.item_code
     AND m.months = 1 AND m.end_month BETWEEN q.end_month - 2 AND q.end_month
    WHERE q.months = 3 AND q.amount_yuan IS NOT NULL
    GROUP BY q._row, q.region_code, q.year, q.fund_code, q.item_code, q.period, q.amount_yuan
),
quarters_not_adding_up AS (
    SELECT COALESCE(quarter_row, last_month_row) AS file_row, 'amount_yuan' AS file_column,
           CAST(quarter_yuan AS VARCHAR) AS value,
           'is not the sum of its months ' || month_periods || ' ('
               || CAST(months_yuan AS VARCHAR) || ' yuan); a quarter is the sum of its three months'
               AS expected
    FROM quarter_months
    WHERE months_stated = 3 AND months_yuan <> quarter_yuan
      AND COALESCE(quarter_row, last_month_row) IS NOT NULL
),
amount_against_cumulative AS (
    SELECT p._row AS file_row, 'amount_yuan' AS file_column,
           CAST(p.amount_yuan AS VARCHAR) AS value,
           'is not its cumulative ' || CAST(p.cumulative_yuan AS VARCHAR) || ' yuan less the '
               || CAST(COALESCE(b.cumulative_yuan, 0) AS VARCHAR) || ' yuan up to '
               || COALESCE(b.period, 'the start of the year') || ' ('
               || CAST(p.cumulative_yuan - COALESCE(b.cumulative_yuan, 0) AS VARCHAR) || ' yuan)'
               AS expected
    FROM all_rows p
    LEFT JOIN all_rows b
      ON b.region_code = p.region_code AND b.year = p.year
     AND b.fund_code = p.fund_code AND b.item_code = p.item_code
     AND b.end_month = p.end_month - p.months AND b.cumulative_yuan IS NOT NULL
    WHERE p._row IS NOT NULL AND p.amount_yuan IS NOT NULL AND p.cumulative_yuan IS NOT NULL
      AND (b.cumulative_yuan IS NOT NULL OR p.end_month = p.months)
      AND p.amount_yuan <> p.cumulative_yuan - COALESCE(b.cumulative_yuan, 0)
)
SELECT * FROM decreasing
UNION
SELECT * FROM quarters_not_adding_up
UNION
SELECT * FROM amount_against_cumulative
