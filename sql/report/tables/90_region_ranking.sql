-- Ranking of the region's children (区县/地市排名): for a city or province report, one row per
-- child region with its months covered, dependency ratio, income execution rate, income growth,
-- share of income from fiscal subsidy and benefit per beneficiary (each recomputed from the
-- child's leaves, region_rank), with its rank among the siblings for the first two. A county has
-- no children, so its report has no rows here and the table is left out.
SELECT fund_code, region_name,
       CAST(MAX(value) FILTER (WHERE indicator = 'months_covered') AS DECIMAL(12, 2))
           AS months_covered,
       MAX(rank) FILTER (WHERE indicator = 'months_covered') AS months_covered_rank,
       CAST(MAX(value) FILTER (WHERE indicator = 'dependency_ratio') AS DECIMAL(12, 2))
           AS dependency_ratio,
       MAX(rank) FILTER (WHERE indicator = 'dependency_ratio') AS dependency_ratio_rank,
       CAST(MAX(value) FILTER (WHERE indicator = 'income_execution_rate') AS DECIMAL(12, 2))
           AS income_execution_rate,
       CAST(MAX(value) FILTER (WHERE indicator = 'income_growth') AS DECIMAL(12, 2))
           AS income_growth,
       CAST(MAX(value) FILTER (WHERE indicator = 'fiscal_subsidy_share') AS DECIMAL(12, 2))
           AS fiscal_subsidy_share,
       CAST(MAX(value) FILTER (WHERE indicator = 'benefit_per_beneficiary') AS DECIMAL(20, 2))
           AS benefit_per_beneficiary
FROM region_rank_v1
WHERE parent_code = $region AND year = $year
GROUP BY fund_code, region_code, region_name
ORDER BY fund_code, months_covered_rank, region_code
