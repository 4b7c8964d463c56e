-- warning: a city or province states a figure (an amount or a count of persons) that differs
-- from the sum of its children (rollup_consistency). A warning, not an error: a city's own
-- accounts (市本级) that belong to no county make a legitimate difference, which this names.
SELECT 'warning' AS severity, region_code, year, fund_code,
       CASE WHEN unit = '元' THEN figure END AS item_code,
       scenario || ' ' || figure || ': stated ' || CAST(stated AS VARCHAR) || ' ' || unit
           || ' but its ' || CAST(children AS VARCHAR) || ' child regions sum to '
           || CAST(children_sum AS VARCHAR) || ' ' || unit || ' (difference '
           || CAST(difference AS VARCHAR) || ' ' || unit || ')' AS message
FROM rollup_consistency_v1
WHERE difference <> 0
