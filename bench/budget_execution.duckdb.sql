-- DuckDB equivalent of `fundq run budget_execution` (sql/views/budget_execution/v1.sql on top of
-- sql/views/item_amount/v1.sql), used by bench/cold_run.sh. Run from the repository root:
--
--     duckdb -csv -nullvalue '' -c ".read bench/budget_execution.duckdb.sql"
--
-- Tables. fundq reads the Delta tables data/ledger, data/item and data/fund. Each of them has
-- exactly one version (a single commit, _delta_log/00000000000000000000.json, that adds every
-- Parquet file in the folder and removes none), so the table's current rows are exactly the rows
-- of data/<table>/*.parquet, and DuckDB can read the Parquet files directly without its delta
-- extension (which would have to be downloaded, and would cost start-up time). bench/cold_run.sh
-- checks this assumption before it measures anything.
CREATE TEMP VIEW ledger AS SELECT * FROM read_parquet('data/ledger/*.parquet');
CREATE TEMP VIEW item AS SELECT * FROM read_parquet('data/item/*.parquet');
CREATE TEMP VIEW fund AS SELECT * FROM read_parquet('data/fund/*.parquet');

-- Exact decimal division. DataFusion divides DECIMAL by DECIMAL exactly (the quotient is cut
-- off after many places, then the CAST to DECIMAL(p, 2) rounds half away from zero). DuckDB's `/`
-- on DECIMAL returns a DOUBLE, and a binary double is not exact at the .xx5 ties that half-up
-- rounding cares about (1.005 is 1.00499999… as a double), so a verbatim copy of the view could
-- round differently. These macros compute round_half_away_from_zero(n / d, 2) in HUGEINT
-- integer arithmetic on the values scaled by 10^6 (every input here has at most 2 decimals), and
-- return a DECIMAL with 2 places. NULL in, NULL out; the view itself keeps NULLIF(…, 0).
CREATE TEMP MACRO fq_unscaled6(x) AS CAST(CAST(x AS DECIMAL(30, 6)) * 1000000 AS HUGEINT);
CREATE TEMP MACRO fq_div_half_up_2(n, d) AS
    CAST(sign(fq_unscaled6(n)) * sign(fq_unscaled6(d))
         * ((200 * abs(fq_unscaled6(n)) + abs(fq_unscaled6(d))) // (2 * abs(fq_unscaled6(d))))
         AS DECIMAL(30, 0)) * 0.01;

-- sql/views/item_amount/v1.sql, verbatim apart from the CREATE VIEW line. budget_execution pins it
-- as item_amount_v1, so that is the name it gets here.
CREATE TEMP VIEW item_amount_v1 AS
-- Amount of every item per region, year, fund and scenario, in exact yuan: the stated amount,
-- or, where an item is not stated itself, the sum of its stated direct children (其中 items
-- excluded, they are parts, not a breakdown). `derived` says which.
WITH stated AS (
    SELECT region_code, year, fund_code, item_code, scenario,
           CAST(amount_yuan AS DECIMAL(20, 2)) AS amount_yuan
    FROM ledger
),
from_children AS (
    SELECT s.region_code, s.year, s.fund_code, i.parent_code AS item_code, s.scenario,
           CAST(SUM(s.amount_yuan) AS DECIMAL(20, 2)) AS amount_yuan
    FROM stated s
    JOIN item i ON i.fund_code = s.fund_code AND i.item_code = s.item_code
    WHERE i.parent_code IS NOT NULL AND NOT i.of_which
    GROUP BY s.region_code, s.year, s.fund_code, i.parent_code, s.scenario
)
SELECT region_code, year, fund_code, item_code, scenario, amount_yuan, false AS derived
FROM stated
UNION ALL
SELECT c.region_code, c.year, c.fund_code, c.item_code, c.scenario, c.amount_yuan, true AS derived
FROM from_children c
WHERE NOT EXISTS (
    SELECT 1 FROM stated s
    WHERE s.region_code = c.region_code AND s.year = c.year AND s.fund_code = c.fund_code
      AND s.item_code = c.item_code AND s.scenario = c.scenario
);

-- sql/views/budget_execution/v1.sql. Only the three divisions in the final SELECT differ (marked
-- "DuckDB:"): x / 10000 becomes x * 0.0001 (an exact DECIMAL product; DuckDB's CAST to
-- DECIMAL(18, 2) then rounds half away from zero, as DataFusion's does), and the rate uses
-- fq_div_half_up_2 above.
-- Budget execution (预算执行率): budget and actual per top-level item in 万元, execution rate
-- (actual / budget × 100, %) and deviation (actual − budget, 万元), plus an item_code 'total'
-- row per fund and direction summing the non-memo items. The budget is the adjusted budget
-- where one exists. Rates are rounded half-up from unrounded amounts; a zero or missing budget
-- gives a NULL rate.
WITH amounts AS (
    SELECT region_code, year, fund_code, item_code,
           COALESCE(
               SUM(amount_yuan) FILTER (WHERE scenario = 'adjusted_budget'),
               SUM(amount_yuan) FILTER (WHERE scenario = 'budget')
           ) AS budget_yuan,
           SUM(amount_yuan) FILTER (WHERE scenario = 'actual') AS actual_yuan
    FROM item_amount_v1
    GROUP BY region_code, year, fund_code, item_code
),
top_items AS (
    SELECT a.region_code, a.year, a.fund_code, i.direction, a.item_code,
           i.name_zh AS item_name, i.memo, i.sort_order,
           CAST(a.budget_yuan AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(a.actual_yuan AS DECIMAL(20, 2)) AS actual_yuan
    FROM amounts a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE i.parent_code IS NULL
      AND i.direction IN ('income', 'expense')
      AND (a.budget_yuan IS NOT NULL OR a.actual_yuan IS NOT NULL)
),
totals AS (
    SELECT region_code, year, fund_code, direction, 'total' AS item_code,
           CASE direction WHEN 'income' THEN '总收入' ELSE '总支出' END AS item_name,
           false AS memo, 2147483647 AS sort_order,
           CAST(SUM(budget_yuan) AS DECIMAL(20, 2)) AS budget_yuan,
           CAST(SUM(actual_yuan) AS DECIMAL(20, 2)) AS actual_yuan
    FROM top_items
    WHERE NOT memo
    GROUP BY region_code, year, fund_code, direction
),
all_rows AS (
    SELECT * FROM top_items
    UNION ALL
    SELECT * FROM totals
)
SELECT r.region_code, r.year, r.fund_code, f.name_zh AS fund_name, r.direction,
       r.item_code, r.item_name,
       CAST(r.budget_yuan * 0.0001 AS DECIMAL(18, 2)) AS budget_wan,                    -- DuckDB: / 10000
       CAST(r.actual_yuan * 0.0001 AS DECIMAL(18, 2)) AS actual_wan,                    -- DuckDB: / 10000
       CAST(fq_div_half_up_2(r.actual_yuan * 100, NULLIF(r.budget_yuan, 0)) AS DECIMAL(12, 2)) AS execution_rate, -- DuckDB: exact /
       CAST((r.actual_yuan - r.budget_yuan) * 0.0001 AS DECIMAL(18, 2)) AS deviation_wan, -- DuckDB: / 10000
       r.memo
FROM all_rows r
JOIN fund f ON f.fund_code = r.fund_code
ORDER BY r.region_code, r.year, f.sort_order,
         CASE r.direction WHEN 'income' THEN 1 ELSE 2 END, r.sort_order;
