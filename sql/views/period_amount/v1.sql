-- Amounts of the periods of a year (helper): per region, period, fund and item, what was executed
-- in the period (当期, amount_yuan) and from January to its end (累计, cumulative_yuan), in exact
-- yuan. A period is a month ('2023-09', months = 1) or a quarter ('2023-Q3', months = 3); a
-- quarter also exists where monthly data reaches its last month. Each amount is the stated one;
-- else the cumulative is the sum of the year's months (or quarters) up to the end when every one
-- of them is stated, and the period's amount is its cumulative less the one at the end of the
-- period before. An item not stated itself is the sum of its stated direct children (其中 items
-- excluded), as in item_amount.
WITH stated AS (
    SELECT region_code, period, fund_code, item_code,
           CAST(amount_yuan AS DECIMAL(20, 2)) AS amount_yuan,
           CAST(cumulative_yuan AS DECIMAL(20, 2)) AS cumulative_yuan
    FROM ledger_period
),
from_children AS (
    SELECT s.region_code, s.period, s.fund_code, i.parent_code AS item_code,
           CASE WHEN COUNT(s.amount_yuan) = COUNT(*)
                THEN CAST(SUM(s.amount_yuan) AS DECIMAL(20, 2)) END AS amount_yuan,
           CASE WHEN COUNT(s.cumulative_yuan) = COUNT(*)
                THEN CAST(SUM(s.cumulative_yuan) AS DECIMAL(20, 2)) END AS cumulative_yuan
    FROM stated s
    JOIN item i ON i.fund_code = s.fund_code AND i.item_code = s.item_code
    WHERE i.parent_code IS NOT NULL AND NOT i.of_which
    GROUP BY s.region_code, s.period, s.fund_code, i.parent_code
),
items AS (
    SELECT * FROM stated
    UNION ALL
    SELECT c.* FROM from_children c
    WHERE NOT EXISTS (
        SELECT 1 FROM stated s
        WHERE s.region_code = c.region_code AND s.period = c.period
          AND s.fund_code = c.fund_code AND s.item_code = c.item_code
    )
),
periods AS (
    SELECT region_code, period, fund_code, item_code, amount_yuan, cumulative_yuan,
           CAST(substr(period, 1, 4) AS INT) AS year,
           CASE WHEN substr(period, 6, 1) = 'Q' THEN CAST(substr(period, 7, 1) AS INT) * 3
                ELSE CAST(substr(period, 6, 2) AS INT) END AS end_month,
           CASE WHEN substr(period, 6, 1) = 'Q' THEN 3 ELSE 1 END AS months
    FROM items
),
ends AS (
    SELECT DISTINCT region_code, year, fund_code, item_code, end_month FROM periods
),
sums_of_months AS (
    SELECT e.region_code, e.year, e.fund_code, e.item_code, e.end_month,
           CAST(SUM(p.amount_yuan) AS DECIMAL(20, 2)) AS total_yuan, COUNT(*) AS stated
    FROM ends e
    JOIN periods p
      ON p.region_code = e.region_code AND p.year = e.year AND p.fund_code = e.fund_code
     AND p.item_code = e.item_code AND p.months = 1 AND p.amount_yuan IS NOT NULL
     AND p.end_month <= e.end_month
    GROUP BY e.region_code, e.year, e.fund_code, e.item_code, e.end_month
),
sums_of_quarters AS (
    SELECT e.region_code, e.year, e.fund_code, e.item_code, e.end_month,
           CAST(SUM(p.amount_yuan) AS DECIMAL(20, 2)) AS total_yuan, COUNT(*) AS stated
    FROM ends e
    JOIN periods p
      ON p.region_code = e.region_code AND p.year = e.year AND p.fund_code = e.fund_code
     AND p.item_code = e.item_code AND p.months = 3 AND p.amount_yuan IS NOT NULL
     AND p.end_month <= e.end_month
    WHERE e.end_month % 3 = 0
    GROUP BY e.region_code, e.year, e.fund_code, e.item_code, e.end_month
),
stated_cumulative AS (
    SELECT region_code, year, fund_code, item_code, end_month,
           MAX(cumulative_yuan) AS cumulative_yuan
    FROM periods
    WHERE cumulative_yuan IS NOT NULL
    GROUP BY region_code, year, fund_code, item_code, end_month
),
cumulative AS (
    SELECT e.region_code, e.year, e.fund_code, e.item_code, e.end_month,
           COALESCE(
               c.cumulative_yuan,
               CASE WHEN m.stated = e.end_month THEN m.total_yuan END,
               CASE WHEN q.stated * 3 = e.end_month THEN q.total_yuan END
           ) AS cumulative_yuan
    FROM ends e
    LEFT JOIN stated_cumulative c
           ON c.region_code = e.region_code AND c.year = e.year AND c.fund_code = e.fund_code
          AND c.item_code = e.item_code AND c.end_month = e.end_month
    LEFT JOIN sums_of_months m
           ON m.region_code = e.region_code AND m.year = e.year AND m.fund_code = e.fund_code
          AND m.item_code = e.item_code AND m.end_month = e.end_month
    LEFT JOIN sums_of_quarters q
           ON q.region_code = e.region_code AND q.year = e.year AND q.fund_code = e.fund_code
          AND q.item_code = e.item_code AND q.end_month = e.end_month
),
reported AS (
    SELECT region_code, year, period, end_month, months, fund_code, item_code, amount_yuan
    FROM periods
    UNION ALL
    -- The quarter a month ends (March, June, …), where the quarter is not stated itself.
    SELECT p.region_code, p.year,
           CAST(p.year AS VARCHAR) || '-Q' || CAST(p.end_month / 3 AS VARCHAR), p.end_month, 3,
           p.fund_code, p.item_code, CAST(NULL AS DECIMAL(20, 2))
    FROM periods p
    WHERE p.months = 1 AND p.end_month % 3 = 0
      AND NOT EXISTS (
          SELECT 1 FROM periods q
          WHERE q.region_code = p.region_code AND q.year = p.year AND q.fund_code = p.fund_code
            AND q.item_code = p.item_code AND q.months = 3 AND q.end_month = p.end_month
      )
)
SELECT r.region_code, r.year, r.period, r.end_month, r.months, r.fund_code, r.item_code,
       CAST(COALESCE(
           r.amount_yuan,
           c.cumulative_yuan - CASE WHEN r.end_month = r.months THEN 0 ELSE b.cumulative_yuan END
       ) AS DECIMAL(20, 2)) AS amount_yuan,
       c.cumulative_yuan
FROM reported r
JOIN cumulative c
  ON c.region_code = r.region_code AND c.year = r.year AND c.fund_code = r.fund_code
 AND c.item_code = r.item_code AND c.end_month = r.end_month
LEFT JOIN cumulative b
       ON b.region_code = r.region_code AND b.year = r.year AND b.fund_code = r.fund_code
      AND b.item_code = r.item_code AND b.end_month = r.end_month - r.months
