-- warning: a negative amount on an income or expense item (balances may be negative; a negative
-- income or expense is usually a sign error or a refund that belongs elsewhere).
SELECT 'warning' AS severity, l.region_code, l.year, l.fund_code, l.item_code,
       l.scenario || ': negative ' || i.direction || ' '
           || CAST(CAST(l.amount_yuan / 10000 AS DECIMAL(18, 2)) AS VARCHAR) || ' 万元' AS message
FROM ledger l
JOIN item i ON i.fund_code = l.fund_code AND i.item_code = l.item_code
WHERE l.amount_yuan < 0 AND i.direction IN ('income', 'expense')
