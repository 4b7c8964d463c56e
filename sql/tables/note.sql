-- Analysts' explanations (说明) of a figure, placed under it in the annual report.
-- Views may read it before any note was imported: it then reads as empty.
-- fundq: empty until imported
CREATE TABLE note (
    region_code VARCHAR NOT NULL,
    year INT NOT NULL,
    fund_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (region_code, year, fund_code, item_code)
);
