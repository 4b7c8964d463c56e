-- Benefit standards in exact yuan per month, by benefit and grade. A data folder without it
-- (generated detail data, a fund without graded benefits) reads it as empty.
-- fundq: empty until imported
CREATE TABLE benefit_standard (
    region_code VARCHAR NOT NULL,
    year INT NOT NULL,
    fund_code VARCHAR NOT NULL,
    benefit VARCHAR NOT NULL,
    grade VARCHAR NOT NULL,
    monthly_amount_yuan DECIMAL(18, 2) NOT NULL,
    PRIMARY KEY (region_code, year, fund_code, benefit, grade)
);
