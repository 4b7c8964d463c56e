-- Detail records: one amount per person, month, fund and item, in exact yuan (contributions
-- paid, benefits paid). Province and national deployments keep these instead of a ledger; the
-- view ledger_from_detail sums them to the ledger's grain. `fundq gen` writes synthetic ones.
CREATE TABLE detail (
    region_code VARCHAR NOT NULL,
    year INT NOT NULL,
    month INT NOT NULL,
    fund_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    person_id BIGINT NOT NULL,
    amount_yuan DECIMAL(18, 2) NOT NULL
);
