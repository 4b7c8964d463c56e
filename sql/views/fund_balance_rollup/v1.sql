-- fund_balance for every region of the tree, summed from its leaf regions (region_leaf): income,
-- expense, own-source figures and the closing balance are sums of the leaves' exact yuan;
-- months_covered (closing × 12 / expense) and the dependency ratio (active / retired) are
-- recomputed from those sums, never averaged. The closing balance is summed only when every leaf
-- with income or expense of the fund in that year states one (a partial sum is not a total):
-- otherwise it is NULL, and so are the months covered. Same columns as fund_balance; for a leaf
-- the figures equal fund_balance's.
WITH leaf_sums AS (
    SELECT a.region_code, a.year, a.fund_code,
           SUM(a.amount_yuan) FILTER (WHERE i.direction = 'income' AND NOT i.memo) AS income_yuan,
           SUM(a.amount_yuan) FILTER (WHERE i.direction = 'expense' AND NOT i.memo) AS expense_yuan,
           SUM(a.amount_yuan) FILTER (WHERE i.direction = 'income'
                                       AND i.category <> 'intergovernmental') AS own_income_yuan,
           SUM(a.amount_yuan) FILTER (WHERE i.direction = 'expense'
                                       AND i.category <> 'intergovernmental') AS own_expense_yuan,
           SUM(a.amount_yuan) FILTER (WHERE a.item_code = 'closing_balance') AS closing_yuan,
           CASE WHEN BOOL_OR(i.direction IN ('income', 'expense')) THEN 1 ELSE 0 END AS has_flow,
           CASE WHEN BOOL_OR(a.item_code = 'closing_balance') THEN 1 ELSE 0 END AS has_closing
    FROM item_amount_v1 a
    JOIN item i ON i.fund_code = a.fund_code AND i.item_code = a.item_code
    WHERE a.scenario = 'actual' AND i.parent_code IS NULL
    GROUP BY a.region_code, a.year, a.fund_code
),
sums AS (
    SELECT t.region_code, l.year, l.fund_code,
           CAST(SUM(l.income_yuan) AS DECIMAL(20, 2)) AS income_yuan,
           CAST(SUM(l.expense_yuan) AS DECIMAL(20, 2)) AS expense_yuan,
           CAST(SUM(l.own_income_yuan) AS DECIMAL(20, 2)) AS own_income_yuan,
           CAST(SUM(l.own_expense_yuan) AS DECIMAL(20, 2)) AS own_expense_yuan,
           CAST(SUM(l.closing_yuan) AS DECIMAL(20, 2)) AS closing_yuan,
           SUM(l.has_flow) AS flow_leaves, SUM(l.has_closing) AS closing_leaves
    FROM region_leaf_v1 t
    JOIN leaf_sums l ON l.region_code = t.leaf_code
    GROUP BY t.region_code, l.year, l.fund_code
),
complete AS (
    SELECT region_code, year, fund_code, income_yuan, expense_yuan, own_income_yuan,
           own_expense_yuan,
           CASE WHEN closing_leaves >= flow_leaves THEN closing_yuan END AS closing_yuan
    FROM sums
),
counts AS (
    SELECT region_code, year, fund_code,
           SUM(persons) FILTER (WHERE measure = 'active') AS active,
           SUM(persons) FILTER (WHERE measure = 'retired') AS retired
    FROM headcount_rollup_v1
    WHERE breakdown = 'total' AND member = 'all' AND scenario = 'actual'
    GROUP BY region_code, year, fund_code
)
SELECT s.region_code, s.year, s.fund_code, f.name_zh AS fund_name,
       CAST(s.income_yuan / 10000 AS DECIMAL(18, 2)) AS income_wan,
       CAST(s.expense_yuan / 10000 AS DECIMAL(18, 2)) AS expense_wan,
       CAST((s.income_yuan - s.expense_yuan) / 10000 AS DECIMAL(18, 2)) AS balance_wan,
       CAST(s.own_income_yuan / 10000 AS DECIMAL(18, 2)) AS own_income_wan,
       CAST(s.own_expense_yuan / 10000 AS DECIMAL(18, 2)) AS own_expense_wan,
       CAST((s.own_income_yuan - s.own_expense_yuan) / 10000 AS DECIMAL(18, 2)) AS own_balance_wan,
       CAST(s.closing_yuan / 10000 AS DECIMAL(18, 2)) AS closing_balance_wan,
       CAST(s.closing_yuan * 12 / NULLIF(s.expense_yuan, 0) AS DECIMAL(12, 2)) AS months_covered,
       CAST(CAST(c.active AS DECIMAL(20, 0)) / NULLIF(c.retired, 0) AS DECIMAL(12, 2))
           AS dependency_ratio
FROM complete s
JOIN fund f ON f.fund_code = s.fund_code
LEFT JOIN counts c
       ON c.region_code = s.region_code AND c.year = s.year AND c.fund_code = s.fund_code
ORDER BY s.region_code, s.year, f.sort_order
