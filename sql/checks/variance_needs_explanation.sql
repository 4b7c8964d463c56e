-- info: an execution rate or a year-over-year growth beyond the thresholds of the
-- check_threshold view (defaults |rate − 100| ≥ 10, |growth| ≥ 10, items of at least 10 万元)
-- needs an explanation (说明) in the report; the message says whether the note table has one.
-- The figures come from the variance_flag view, which the report's variance marks read too.
SELECT 'info' AS severity, region_code, year, fund_code, item_code,
       CASE measure
           WHEN 'execution_rate' THEN
               item_name || ': execution rate ' || CAST(figure AS VARCHAR) || '% (budget '
               || CAST(base_wan AS VARCHAR) || ', actual ' || CAST(value_wan AS VARCHAR)
               || ' 万元)'
           ELSE
               item_name || ': growth ' || CAST(figure AS VARCHAR) || '% (previous '
               || CAST(base_wan AS VARCHAR) || ', current '
               || COALESCE(CAST(value_wan AS VARCHAR), 'none') || ' 万元)'
       END
       || CASE WHEN note IS NULL THEN ': needs an explanation'
               ELSE ': explained in the note table' END AS message
FROM variance_flag_v1
