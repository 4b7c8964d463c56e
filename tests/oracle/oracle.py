#!/usr/bin/env python3
"""An independent computation of fundq's standard views, straight from the source CSVs.

It shares no code with fundq: plain Python with the `decimal` module (ROUND_HALF_UP), written
from the definitions in the issue and in `data/SOURCE.md`, not from fundq's SQL. The CLI tests
run `fundq run <view> --format csv` and compare every row with what this script prints.

Usage: oracle.py DATA_DIR VIEW   (prints CSV to stdout)
"""
import csv
import sys
from collections import defaultdict
from decimal import Decimal, ROUND_HALF_UP

UNIT_YUAN = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}


def read(data_dir, name):
    with open(f"{data_dir}/{name}.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def q(value, places):
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def wan(yuan):
    return q(yuan / 10000, 2) if yuan is not None else None


def pct(numerator, base):
    if numerator is None or base is None or base == 0:
        return None
    return q(Decimal(numerator) * 100 / Decimal(base), 2)


def fmt(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Data:
    def __init__(self, data_dir):
        self.funds = {r["fund_code"]: r for r in read(data_dir, "funds")}
        self.items = {(r["fund_code"], r["item_code"]): r for r in read(data_dir, "items")}
        self.ledger = {}
        for r in read(data_dir, "ledger"):
            yuan = Decimal(r["amount"]) * UNIT_YUAN[r["unit"]]
            key = (r["region_code"], int(r["year"]), r["fund_code"], r["item_code"], r["scenario"])
            self.ledger[key] = yuan
        self.headcount = {}
        for r in read(data_dir, "headcount"):
            key = (r["region_code"], int(r["year"]), r["fund_code"], r["measure"],
                   r["breakdown"], r["member"], r["scenario"])
            self.headcount[key] = int(r["persons"])

    def children(self, fund, item):
        return [code for (f, code), row in self.items.items()
                if f == fund and row["parent_code"] == item and row["of_which"] != "true"]

    def amount(self, region, year, fund, item, scenario):
        """Stated amount, else the sum of the stated direct children (one level)."""
        stated = self.ledger.get((region, year, fund, item, scenario))
        if stated is not None:
            return stated
        parts = [self.ledger.get((region, year, fund, c, scenario)) for c in self.children(fund, item)]
        parts = [p for p in parts if p is not None]
        return sum(parts) if parts else None

    def top_items(self, fund, directions=("income", "expense")):
        rows = [r for (f, _), r in self.items.items()
                if f == fund and not r["parent_code"] and r["direction"] in directions]
        return sorted(rows, key=lambda r: int(r["sort_order"]))

    def slices(self, scenario=None):
        return sorted({(k[0], k[1], k[2]) for k in self.ledger if scenario is None or k[4] == scenario})

    def persons(self, region, year, fund, measure):
        return self.headcount.get((region, year, fund, measure, "total", "all", "actual"))


def direction_rank(direction):
    return 1 if direction == "income" else 2


def with_totals(rows, sum_fields):
    """Appends the item_code 'total' row per (region, year, fund, direction) over non-memo rows."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["region_code"], r["year"], r["fund_code"], r["direction"])].append(r)
    out = list(rows)
    for (region, year, fund, direction), members in groups.items():
        members = [m for m in members if not m["memo"]]
        if not members:
            continue
        total = {"region_code": region, "year": year, "fund_code": fund, "direction": direction,
                 "item_code": "total", "item_name": "总收入" if direction == "income" else "总支出",
                 "memo": False, "sort": 10**9}
        for field in sum_fields:
            values = [m[field] for m in members if m[field] is not None]
            total[field] = sum(values) if values else None
        out.append(total)
    return out


def budget_execution(d):
    rows = []
    for region, year, fund in d.slices():
        for item in d.top_items(fund):
            code = item["item_code"]
            adjusted = d.amount(region, year, fund, code, "adjusted_budget")
            budget = adjusted if adjusted is not None else d.amount(region, year, fund, code, "budget")
            actual = d.amount(region, year, fund, code, "actual")
            if budget is None and actual is None:
                continue
            rows.append({"region_code": region, "year": year, "fund_code": fund,
                         "direction": item["direction"], "item_code": code,
                         "item_name": item["name_zh"], "memo": item["memo"] == "true",
                         "sort": int(item["sort_order"]), "budget": budget, "actual": actual})
    out = []
    for r in with_totals(rows, ["budget", "actual"]):
        b, a = r["budget"], r["actual"]
        out.append({**r, "fund_name": d.funds[r["fund_code"]]["name_zh"],
                    "budget_wan": wan(b), "actual_wan": wan(a),
                    "execution_rate": pct(a, b),
                    "deviation_wan": wan(a - b) if a is not None and b is not None else None})
    return out, ["region_code", "year", "fund_code", "fund_name", "direction", "item_code",
                 "item_name", "budget_wan", "actual_wan", "execution_rate", "deviation_wan", "memo"]


def yoy_growth(d):
    rows = []
    for region, year, fund in d.slices("actual"):
        for item in d.top_items(fund):
            code = item["item_code"]
            cur = d.amount(region, year, fund, code, "actual")
            prev = d.amount(region, year - 1, fund, code, "actual")
            if cur is None and prev is None:
                continue
            rows.append({"region_code": region, "year": year, "fund_code": fund,
                         "direction": item["direction"], "item_code": code,
                         "item_name": item["name_zh"], "memo": item["memo"] == "true",
                         "sort": int(item["sort_order"]), "cur": cur, "prev": prev})
    out = []
    for r in with_totals(rows, ["cur", "prev"]):
        c, p = r["cur"], r["prev"]
        change = c - p if c is not None and p is not None else None
        out.append({**r, "fund_name": d.funds[r["fund_code"]]["name_zh"],
                    "current_wan": wan(c), "previous_wan": wan(p),
                    "growth": pct(change, p), "change_wan": wan(change)})
    return out, ["region_code", "year", "fund_code", "fund_name", "direction", "item_code",
                 "item_name", "current_wan", "previous_wan", "growth", "change_wan", "memo"]


def headcount_growth(d):
    out = []
    for (region, year, fund, measure, breakdown, member, scenario), persons in d.headcount.items():
        if scenario != "actual":
            continue
        prev = d.headcount.get((region, year - 1, fund, measure, breakdown, member, scenario))
        out.append({"region_code": region, "year": year, "fund_code": fund, "measure": measure,
                    "breakdown": breakdown, "member": member, "persons": persons,
                    "previous": prev,
                    "growth": pct(persons - prev, prev) if prev is not None else None})
    return out, ["region_code", "year", "fund_code", "measure", "breakdown", "member",
                 "persons", "previous", "growth"]


def headcount_share(d):
    out = []
    sums = defaultdict(int)
    for (region, year, fund, measure, breakdown, member, scenario), persons in d.headcount.items():
        if scenario == "actual" and breakdown != "total":
            sums[(region, year, fund, measure, breakdown)] += persons
    for (region, year, fund, measure, breakdown, member, scenario), persons in d.headcount.items():
        if scenario != "actual" or breakdown == "total":
            continue
        total = d.persons(region, year, fund, measure)
        if total is None:
            total = sums[(region, year, fund, measure, breakdown)]
        out.append({"region_code": region, "year": year, "fund_code": fund, "measure": measure,
                    "breakdown": breakdown, "member": member, "persons": persons,
                    "total": total, "share": pct(persons, total)})
    return out, ["region_code", "year", "fund_code", "measure", "breakdown", "member",
                 "persons", "total", "share"]


# indicator, item, measure, unit, yuan per unit, decimals: as the issue lists them
PER_CAPITA = [
    ("contribution_per_contributor", "contribution", "contributors", "元/人", 1, 2),
    ("basic_pension_per_retiree", "basic_pension", "retired", "万元/人", 10000, 4),
    ("funeral_grant_per_recipient", "funeral_survivor", "funeral_recipients", "元/人", 1, 2),
    ("benefit_per_beneficiary", "benefit", "beneficiaries", "元/人", 1, 2),
]


def per_capita(d):
    exact = {}
    for region, year, fund in d.slices("actual"):
        for indicator, item, measure, unit, per, places in PER_CAPITA:
            amount = d.amount(region, year, fund, item, "actual")
            persons = d.persons(region, year, fund, measure)
            if amount is None or persons is None:
                continue
            value = amount / per / persons if persons else None
            exact[(region, year, fund, indicator)] = (item, measure, unit, places, amount, persons, value)
    out = []
    for (region, year, fund, indicator), (item, measure, unit, places, amount, persons, value) in exact.items():
        prev = exact.get((region, year - 1, fund, indicator))
        prev_value = prev[6] if prev else None
        growth = None
        if value is not None and prev_value:
            growth = q((value - prev_value) * 100 / prev_value, 2)
        out.append({"region_code": region, "year": year, "fund_code": fund,
                    "indicator": indicator, "item_code": item, "numerator_wan": wan(amount),
                    "measure": measure, "denominator": persons,
                    "value": q(q(value, places), 4) if value is not None else None,
                    "unit": unit,
                    "previous": q(q(prev_value, prev[3]), 4) if prev_value is not None else None,
                    "growth": growth})
    return out, ["region_code", "year", "fund_code", "indicator", "item_code", "numerator_wan",
                 "measure", "denominator", "value", "unit", "previous", "growth"]


def fund_balance(d):
    out = []
    for region, year, fund in d.slices("actual"):
        def total(pred):
            values = [d.amount(region, year, fund, i["item_code"], "actual")
                      for i in d.top_items(fund, ("income", "expense", "balance")) if pred(i)]
            values = [v for v in values if v is not None]
            return sum(values) if values else None
        non_memo = lambda direction: lambda i: i["direction"] == direction and i["memo"] != "true"
        own = lambda direction: lambda i: i["direction"] == direction and i["category"] != "intergovernmental"
        income, expense = total(non_memo("income")), total(non_memo("expense"))
        own_income, own_expense = total(own("income")), total(own("expense"))
        closing = d.amount(region, year, fund, "closing_balance", "actual")
        active, retired = d.persons(region, year, fund, "active"), d.persons(region, year, fund, "retired")
        minus = lambda a, b: a - b if a is not None and b is not None else None
        out.append({"region_code": region, "year": year, "fund_code": fund,
                    "fund_name": d.funds[fund]["name_zh"],
                    "income_wan": wan(income), "expense_wan": wan(expense),
                    "balance_wan": wan(minus(income, expense)),
                    "own_income_wan": wan(own_income), "own_expense_wan": wan(own_expense),
                    "own_balance_wan": wan(minus(own_income, own_expense)),
                    "closing_balance_wan": wan(closing),
                    "months_covered": q(closing * 12 / expense, 2) if closing is not None and expense else None,
                    "dependency_ratio": q(Decimal(active) / retired, 2) if active is not None and retired else None})
    return out, ["region_code", "year", "fund_code", "fund_name", "income_wan", "expense_wan",
                 "balance_wan", "own_income_wan", "own_expense_wan", "own_balance_wan",
                 "closing_balance_wan", "months_covered", "dependency_ratio"]


VIEWS = {f.__name__: f for f in
         [budget_execution, yoy_growth, headcount_growth, headcount_share, per_capita, fund_balance]}


def main():
    data_dir, view = sys.argv[1], sys.argv[2]
    rows, columns = VIEWS[view](Data(data_dir))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for r in sorted(rows, key=lambda r: [fmt(r[c]) for c in columns]):
        writer.writerow([fmt(r[c]) for c in columns])


if __name__ == "__main__":
    main()
