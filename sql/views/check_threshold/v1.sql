-- Check thresholds per fund: when an execution rate or a growth "needs an explanation"
-- (|rate − 100| ≥ rate_deviation_pct, |growth| ≥ growth_pct, for items of at least
-- min_amount_wan 万元) and the reserve the closing balance should cover (min_reserve_months of
-- expenditure). The row with fund_code '*' applies to every fund without a row of its own. Used by
-- `fundq check` (sql/checks/) and the report's variance flags; to change a threshold, add a new
-- version of this view.
WITH settings (fund_code, rate_deviation_pct, growth_pct, min_amount_wan, min_reserve_months) AS (
    VALUES
        ('*', 10.00, 10.00, 10.00, 2.00),
        ('enterprise_pension', 10.00, 10.00, 10.00, 2.00)
),
defaults AS (
    SELECT * FROM settings WHERE fund_code = '*'
)
SELECT f.fund_code,
       CAST(COALESCE(s.rate_deviation_pct, d.rate_deviation_pct) AS DECIMAL(12, 2))
           AS rate_deviation_pct,
       CAST(COALESCE(s.growth_pct, d.growth_pct) AS DECIMAL(12, 2)) AS growth_pct,
       CAST(COALESCE(s.min_amount_wan, d.min_amount_wan) AS DECIMAL(18, 2)) AS min_amount_wan,
       CAST(COALESCE(s.min_reserve_months, d.min_reserve_months) AS DECIMAL(12, 2))
           AS min_reserve_months
FROM fund f
CROSS JOIN defaults d
LEFT JOIN settings s ON s.fund_code = f.fund_code
