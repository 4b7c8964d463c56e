#!/usr/bin/env python3
"""Writes data/ledger_period.csv: a GENERATED quarterly series of the sample county's work-injury
fund (永宁县 640121, 2021 and 2022), consistent with the annual actuals in data/ledger.csv.

The seed report is annual, so these figures are not from any source: each top-level item's
annual actual is split over the quarters with the fixed shares below (a plausible seasonal
pattern), rounded to 0.01 万元, the fourth quarter taking what is left so that the cumulative
figure at Q4 equals the annual actual exactly. Each row states both the quarter's amount
(当期执行数) and the cumulative one (累计执行数), as a 社预执行07表 does.
Run: python3 scripts/make-period-sample.py   (then scripts/build-sample.sh)
"""
import csv
from decimal import Decimal
from pathlib import Path

# Share of the year's amount executed in Q1, Q2 and Q3 (Q4 takes the rest).
SHARES = {
    "contribution": ("0.22", "0.25", "0.24"),   # contributions: steady, a little low in Q1
    "interest": ("0", "0.50", "0"),            # interest credited half-yearly
    "fiscal_subsidy": ("0", "0", "0"),         # subsidy paid at year end
    "benefit": ("0.21", "0.24", "0.25"),       # benefits: claims settle towards year end
    "prevention": ("0", "0.30", "0.30"),       # prevention projects from Q2
    "remit_to_higher": ("0", "1", "0"),        # remitted upwards once, in Q2
    "other_expense": ("0", "0", "1"),
}
CENT = Decimal("0.01")

root = Path(__file__).resolve().parent.parent
annual = {}
with open(root / "data/ledger.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if (row["region_code"], row["fund_code"], row["scenario"]) == ("640121", "work_injury", "actual") \
                and row["item_code"] in SHARES:
            assert row["unit"] == "万元"
            annual[(int(row["year"]), row["item_code"])] = Decimal(row["amount"])

rows = []
for (year, item), total in sorted(annual.items()):
    quarters = [(total * Decimal(s)).quantize(CENT) for s in SHARES[item]]
    quarters.append(total - sum(quarters))
    cumulative = Decimal(0)
    for q, amount in enumerate(quarters, start=1):
        cumulative += amount
        rows.append(["640121", f"{year}-Q{q}", "work_injury", item, f"{amount:.2f}", f"{cumulative:.2f}", "万元"])
    assert cumulative == total

with open(root / "data/ledger_period.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["region_code", "period", "fund_code", "item_code", "amount", "cumulative", "unit"])
    w.writerows(rows)
print(f"wrote {len(rows)} rows to data/ledger_period.csv")
