-- Budget execution during the year: the actual amount of a month or a quarter per region, fund
-- and item, in exact yuan. period is '2023-09' (a month) or '2023-Q3' (a quarter); amount_yuan
-- is what was executed in the period (当期执行数) and cumulative_yuan from January to the
-- period's end (累计执行数). A source may state either or both; views derive the other. Budgets
-- stay in the annual ledger (scenario budget, adjusted_budget), and annual amounts too: this
-- table only adds the periods of a year.
-- fundq: empty until imported
CREATE TABLE ledger_period (
    region_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    fund_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    amount_yuan DECIMAL(18, 2),
    cumulative_yuan DECIMAL(18, 2),
    PRIMARY KEY (region_code, period, fund_code, item_code)
);
