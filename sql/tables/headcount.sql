-- Counts of persons: a measure (insured, active, retired, contributors, beneficiaries, …) of a
-- fund, as a whole (breakdown = 'total', member = 'all') or by a breakdown such as unit_type,
-- risk_class or benefit_type.
CREATE TABLE headcount (
    region_code VARCHAR NOT NULL,
    year INT NOT NULL,
    fund_code VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    breakdown VARCHAR NOT NULL,
    member VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    persons BIGINT NOT NULL,
    PRIMARY KEY (region_code, year, fund_code, measure, breakdown, member, scenario)
);
