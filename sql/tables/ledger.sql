-- The fund ledger: one amount per region, year, fund, item and scenario, in exact yuan.
-- Amounts are stated at whatever level of the item tree the source states them; totals are
-- never rows, views derive them. scenario is budget, adjusted_budget or actual.
CREATE TABLE ledger (
    region_code VARCHAR NOT NULL,
    year INT NOT NULL,
    fund_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    amount_yuan DECIMAL(18, 2) NOT NULL,
    PRIMARY KEY (region_code, year, fund_code, item_code, scenario)
);
