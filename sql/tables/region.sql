-- Administrative regions with GB/T 2260 codes: county -> city -> province.
CREATE TABLE region (
    region_code VARCHAR NOT NULL,
    name_zh VARCHAR NOT NULL,
    parent_code VARCHAR,
    level VARCHAR NOT NULL,
    PRIMARY KEY (region_code)
);
