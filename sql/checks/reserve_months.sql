-- warning: the closing balance covers fewer months of expenditure than the fund's reserve
-- (min_reserve_months of the latest check_threshold view version).
SELECT 'warning' AS severity, b.region_code, b.year, b.fund_code, 'closing_balance' AS item_code,
       'the closing balance ' || CAST(b.closing_balance_wan AS VARCHAR) || ' 万元 covers '
           || CAST(b.months_covered AS VARCHAR) || ' months of expenditure, below the reserve of '
           || CAST(t.min_reserve_months AS VARCHAR) || ' months' AS message
FROM fund_balance_v1 b
JOIN check_threshold t ON t.fund_code = b.fund_code
WHERE b.months_covered < t.min_reserve_months
