-- Early-warning thresholds on the months of expenditure the closing balance covers
-- (months_covered), per fund and region level: a warning applies to a region of that level
-- when from_months ≤ months_covered < below_months (a NULL bound is open). Each row of `settings`
-- below is one band; region_level '*' applies to every level that has no row of its own for
-- the same fund and warning (a row for 'province' replaces the '*' row there). Read unpinned by
-- fund_warning and `fundq check` (sql/warnings/), so to change a threshold add a new version of
-- this view. The shipped bands:
--   enterprise_pension below 2 months: reserve under the minimum (财社〔2017〕144号);
--   work_injury 18 to under 24 months: the rate may be cut by 20 %; 24 months or more: by 50 %
--     (人社部发〔2015〕71号);
--   unemployment below 12 months: not enough reserve for the employment-support programmes
--     (稳岗返还 and similar need at least 12 months).
WITH settings (fund_code, region_level, warning, severity, from_months, below_months, action,
               basis) AS (
    VALUES
        ('enterprise_pension', '*', 'reserve_below_minimum', 'warning', NULL, 2.00,
         'below the minimum reserve of 2 months of payments', '财社〔2017〕144号'),
        ('work_injury', '*', 'rate_cut_20', 'info', 18.00, 24.00,
         'reserve of 18–23 months: the contribution rate may be cut by 20 %', '人社部发〔2015〕71号'),
        ('work_injury', '*', 'rate_cut_50', 'info', 24.00, NULL,
         'reserve of 24 months or more: the contribution rate may be cut by 50 %', '人社部发〔2015〕71号'),
        ('unemployment', '*', 'support_below_minimum', 'warning', NULL, 12.00,
         'below the 12 months needed for employment-support programmes', '稳岗返还政策：基金备付 12 个月以上')
),
levels AS (
    SELECT DISTINCT level AS region_level FROM region
)
SELECT s.fund_code, l.region_level, s.warning, s.severity,
       CAST(s.from_months AS DECIMAL(12, 2)) AS from_months,
       CAST(s.below_months AS DECIMAL(12, 2)) AS below_months, s.action, s.basis
FROM settings s
JOIN levels l ON s.region_level = l.region_level OR s.region_level = '*'
WHERE s.region_level <> '*'
   OR NOT EXISTS (
       SELECT 1 FROM settings o
       WHERE o.fund_code = s.fund_code AND o.warning = s.warning
         AND o.region_level = l.region_level
   )
