-- The funds (企业职工基本养老保险, 工伤保险, …). A new fund is a new row, not new code.
CREATE TABLE fund (
    fund_code VARCHAR NOT NULL,
    name_zh VARCHAR NOT NULL,
    name_en VARCHAR,
    sort_order INT NOT NULL,
    PRIMARY KEY (fund_code)
);
