-- Income, expense and balance items of each fund. parent_code builds the item tree (children are
-- a breakdown of their parent); of_which marks a 其中 item that does not add up with its
-- siblings; memo marks memo accounts (备查账) shown beside, but outside, budget totals;
-- category = 'intergovernmental' marks 上级补助收入 / 上解上级支出.
CREATE TABLE item (
    fund_code VARCHAR NOT NULL,
    item_code VARCHAR NOT NULL,
    name_zh VARCHAR NOT NULL,
    direction VARCHAR NOT NULL,
    parent_code VARCHAR,
    of_which BOOLEAN NOT NULL,
    category VARCHAR NOT NULL,
    memo BOOLEAN NOT NULL,
    sort_order INT NOT NULL,
    PRIMARY KEY (fund_code, item_code)
);
