-- Planned amounts at the ledger's grain (scenario budget or adjusted_budget) for data folders
-- whose actual amounts come from detail records; ledger_from_detail adds them to the ledger.
CREATE TABLE budget (
    region_code VARCHAR NOT NULL,
    year INT NOT NULL,
    fund_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    amount_yuan DECIMAL(18, 2) NOT NULL,
    PRIMARY KEY (region_code, year, fund_code, item_code, scenario)
);
