-- warning rules of warning_threshold: a region's closing balance covers a number of months of
-- expenditure inside a band of the thresholds for its fund and region level (reserve below the
-- minimum, room to cut the work-injury rate, …); the severity is the band's. Cities and provinces
-- are judged on their figures summed from the leaves (the view fund_warning).
SELECT severity, region_code, year, fund_code, 'closing_balance' AS item_code,
       region_level || ' ' || region_name || ': closing balance ' || CAST(closing_balance_wan AS VARCHAR)
           || ' 万元 covers ' || CAST(months_covered AS VARCHAR) || ' months of expenditure; '
           || action || ' (' || basis || ')' AS message
FROM fund_warning_v1
