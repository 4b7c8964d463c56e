#!/usr/bin/env python3
"""Random region trees and the independent roll-up oracle for the property test (tests/it/property.rs).

    trees.py gen --seed S --trees N OUT   random province trees as import CSVs in OUT
    trees.py sum IN OUT                   the oracle: every non-leaf region of IN as a region of its
                                          own, its ledger and headcount its leaves' rows summed first

`gen` writes one data folder's CSVs holding N independent province trees (region codes `Tnnnn…`:
the province `Tnnnn`, its cities `Tnnnnc`, their counties `Tnnnnck`; a city without counties is a
leaf), over the sample's funds and items (data/funds.csv, data/items.csv) plus a closing balance
for every fund. Leaves state random subsets of items: a parent alone, a parent with some or all of
its children, or only children (the parent then derived); budgets, adjusted budgets on some items,
actuals, closing balances on most, headcounts, and for some leaves the periods of the last year as
months or quarters, stated as amounts, cumulatives or both, adding up to the annual actual.

`sum` shares no code with fundq: plain Python with `decimal`, written from the rules as fundq's
README and the issue state them, not from its SQL:
  - an item a leaf does not state is the sum of its stated direct children (其中 items excluded);
  - a leaf's budget in force is its adjusted budget where it has one, else its budget; an item not
    budgeted itself takes its stated children's budgets in force summed;
  - a region's figure is the sum of its leaves'; a child item's sum is a total only when every leaf
    that has its parent has it too (otherwise it is left out: a partial sum is not a total); a
    closing balance only when every leaf with income or expense of the fund states one;
  - headcounts are summed over the leaves.
The summed folder states each region's budget as its budget in force (no adjusted rows), and every
item it keeps as stated, so that fundq's leaf views over it give what the roll-up views should.
"""
import csv
import random
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
YEARS = (2023, 2024)
PERIOD_YEAR = 2024
MEASURES = {
    "enterprise_pension": ["active", "retired", "contributors", "funeral_recipients", "insured"],
    "resident_pension": ["contributors", "beneficiaries"],
    "public_pension": ["active", "retired", "contributors", "insured"],
    "work_injury": ["insured", "beneficiaries"],
}
UNIT_TYPES = ["enterprise", "government", "other"]


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def yuan(cents):
    return str(Decimal(cents).scaleb(-2))


class Items:
    def __init__(self, rows):
        self.rows = rows
        self.parent = {}
        self.of_which = {}
        self.direction = {}
        self.children = defaultdict(list)
        for r in rows:
            key = (r["fund_code"], r["item_code"])
            self.parent[key] = r["parent_code"] or None
            self.of_which[key] = r["of_which"] == "true"
            self.direction[key] = r["direction"]
            if r["parent_code"]:
                self.children[(r["fund_code"], r["parent_code"])].append(r["item_code"])

    def top_level(self, fund):
        return [i for (f, i), p in self.parent.items() if f == fund and p is None]


def dimension_rows():
    funds = read(ROOT / "data/funds.csv")
    items = read(ROOT / "data/items.csv")
    have_closing = {r["fund_code"] for r in items if r["item_code"] == "closing_balance"}
    for f in funds:
        if f["fund_code"] not in have_closing:
            items.append({"fund_code": f["fund_code"], "item_code": "closing_balance",
                          "name_zh": "累计结余", "direction": "balance", "parent_code": "",
                          "of_which": "false", "category": "balance", "memo": "false",
                          "sort_order": "90"})
    return funds, items


# ---- gen ---------------------------------------------------------------------------------------

def split(rng, cents, parts):
    """cents as `parts` non-negative integers that add up to it."""
    cuts = sorted(rng.randint(0, cents) for _ in range(parts - 1))
    bounds = [0] + cuts + [cents]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def state_item(rng, items, fund, item, cents, out):
    """Emit (item, cents) actual rows for `item` worth `cents`: the item alone, the item with some
    or all of its parts, or only parts (the item then left for fundq to derive from them); 其中
    items now and then, each at most the item."""
    kids = items.children.get((fund, item), [])
    parts = [k for k in kids if not items.of_which[(fund, k)]]
    mode = rng.choice(["self", "self", "with_parts", "parts"]) if parts else "self"
    if mode != "parts":
        out.append((item, cents))
    if mode == "self":
        return
    chosen = parts if rng.random() < 0.5 else rng.sample(parts, rng.randint(1, len(parts)))
    if len(chosen) == len(parts):
        shares = split(rng, cents, len(chosen))
    else:
        shares = split(rng, cents, len(chosen) + 1)[:-1]
    for kid, share in zip(chosen, shares):
        state_item(rng, items, fund, kid, share, out)
    for kid in kids:
        if items.of_which[(fund, kid)] and rng.random() < 0.5:
            out.append((kid, rng.randint(0, cents)))


def gen(seed, trees, out):
    rng = random.Random(seed)
    funds, item_rows = dimension_rows()
    items = Items(item_rows)
    fund_codes = [f["fund_code"] for f in funds if f["fund_code"] in MEASURES]
    regions, ledger, headcount, periods = [], [], [], []
    for t in range(trees):
        province = f"T{t:04d}"
        regions.append((province, f"省{t}", "", "province"))
        leaves = []
        for c in range(1, rng.randint(1, 3) + 1):
            city = f"{province}{c}"
            regions.append((city, f"市{t}-{c}", province, "city"))
            counties = rng.choice([0, 1, 2, 2, 3, 4])
            for k in range(1, counties + 1):
                regions.append((f"{city}{k}", f"县{t}-{c}-{k}", city, "county"))
                leaves.append(f"{city}{k}")
            if counties == 0:
                leaves.append(city)
        for leaf in leaves:
            for fund in rng.sample(fund_codes, rng.randint(1, len(fund_codes))):
                gen_leaf_fund(rng, items, leaf, fund, ledger, headcount, periods)
    out.mkdir(parents=True, exist_ok=True)
    write(out / "funds.csv", list(funds[0].keys()), [list(f.values()) for f in funds])
    write(out / "items.csv", list(item_rows[0].keys()), [list(r.values()) for r in item_rows])
    write(out / "regions.csv", ["region_code", "name_zh", "parent_code", "level"], regions)
    write(out / "ledger.csv",
          ["region_code", "year", "fund_code", "item_code", "scenario", "amount", "unit"], ledger)
    write(out / "headcount.csv",
          ["region_code", "year", "fund_code", "measure", "breakdown", "member", "scenario",
           "persons"], headcount)
    write(out / "ledger_period.csv",
          ["region_code", "period", "fund_code", "item_code", "amount", "cumulative", "unit"],
          periods)


def gen_leaf_fund(rng, items, leaf, fund, ledger, headcount, periods):
    flows = [i for i in items.top_level(fund) if items.direction[(fund, i)] in ("income", "expense")]
    style = rng.choice(["months_amount", "months_cumulative", "months_both",
                        "quarters_amount", "quarters_cumulative", "quarters_both", None, None])
    for year in YEARS:
        actual = []
        for item in flows:
            if rng.random() < 0.8:
                state_item(rng, items, fund, item, rng.randint(0, 10**10), actual)
        for item, cents in actual:
            ledger.append((leaf, year, fund, item, "actual", yuan(cents), "元"))
            if rng.random() < 0.85:
                budget = cents * rng.randint(70, 130) // 100
                ledger.append((leaf, year, fund, item, "budget", yuan(budget), "元"))
                if rng.random() < 0.3:
                    adjusted = budget * rng.randint(80, 120) // 100
                    ledger.append((leaf, year, fund, item, "adjusted_budget", yuan(adjusted), "元"))
            elif rng.random() < 0.1:
                ledger.append((leaf, year, fund, item, "adjusted_budget",
                               yuan(cents * rng.randint(80, 120) // 100), "元"))
            if year == PERIOD_YEAR and style:
                gen_periods(rng, leaf, fund, item, cents, style, periods)
        if rng.random() < 0.85:
            ledger.append((leaf, year, fund, "closing_balance", "actual",
                           yuan(rng.randint(-10**9, 10**10)), "元"))
        for measure in MEASURES[fund]:
            total = rng.choice([0] + [rng.randint(1, 50000)] * 9)
            headcount.append((leaf, year, fund, measure, "total", "all", "actual", total))
            if measure == "insured" and fund == "work_injury":
                for member, part in zip(UNIT_TYPES, split(rng, total, len(UNIT_TYPES))):
                    headcount.append((leaf, year, fund, measure, "unit_type", member, "actual", part))


def gen_periods(rng, leaf, fund, item, cents, style, periods):
    quarters = style.startswith("quarters")
    parts = split(rng, cents, 4 if quarters else 12)
    running = 0
    for n, part in enumerate(parts, 1):
        running += part
        period = f"{PERIOD_YEAR}-Q{n}" if quarters else f"{PERIOD_YEAR}-{n:02d}"
        amount = yuan(part) if not style.endswith("cumulative") else ""
        cumulative = yuan(running) if not style.endswith("amount") else ""
        periods.append((leaf, period, fund, item, amount, cumulative, "元"))


# ---- sum (the oracle) --------------------------------------------------------------------------

def leaves_under(regions):
    parent = {r["region_code"]: r["parent_code"] or None for r in regions}
    has_children = {p for p in parent.values() if p}
    under = defaultdict(list)
    for leaf in parent:
        if leaf in has_children:
            continue
        up = parent[leaf]
        while up:
            under[up].append(leaf)
            up = parent[up]
    return under


def item_amounts(items, stated):
    """A leaf's amounts of one year, fund and scenario: stated, or derived from stated children."""
    amounts = dict(stated)
    derived = defaultdict(Decimal)
    for (fund, item), amount in stated.items():
        p = items.parent[(fund, item)]
        if p and not items.of_which[(fund, item)] and (fund, p) not in stated:
            derived[(fund, p)] += amount
    amounts.update(derived)
    return amounts


def budgets_in_force(items, budget, adjusted):
    """A leaf's budget in force per (fund, item): adjusted where stated, else budget; an item
    not budgeted itself is its stated children's budgets in force summed."""
    stated = {k: adjusted.get(k, budget.get(k)) for k in set(budget) | set(adjusted)}
    derived = defaultdict(Decimal)
    for (fund, item), amount in stated.items():
        p = items.parent[(fund, item)]
        if p and not items.of_which[(fund, item)] and (fund, p) not in stated:
            derived[(fund, p)] += amount
    return {**stated, **derived}


def complete_sum(items, per_leaf, leaves):
    """Sum per (fund, item) over the leaves; a child item only where every leaf with its parent
    has it too."""
    sums = defaultdict(Decimal)
    for leaf in leaves:
        for key, amount in per_leaf.get(leaf, {}).items():
            sums[key] += amount
    kept = {}
    for (fund, item), amount in sums.items():
        p = items.parent[(fund, item)]
        if p and any((fund, p) in per_leaf.get(l, {}) and (fund, item) not in per_leaf.get(l, {})
                     for l in leaves):
            continue
        kept[(fund, item)] = amount
    return kept


def oracle(src, out):
    funds, regions = read(src / "funds.csv"), read(src / "regions.csv")
    item_rows = read(src / "items.csv")
    items = Items(item_rows)
    under = leaves_under(regions)
    stated = defaultdict(lambda: defaultdict(dict))  # (leaf, year) -> scenario -> (fund, item)
    for r in read(src / "ledger.csv"):
        stated[(r["region_code"], int(r["year"]))][r["scenario"]][(r["fund_code"], r["item_code"])] = \
            Decimal(r["amount"])
    ledger, headcount = [], []
    for year in YEARS:
        actual, in_force = {}, {}
        for (leaf, y), scenarios in stated.items():
            if y != year:
                continue
            actual[leaf] = item_amounts(items, scenarios.get("actual", {}))
            in_force[leaf] = budgets_in_force(items, scenarios.get("budget", {}),
                                              scenarios.get("adjusted_budget", {}))
        for region, leaves in under.items():
            sums = complete_sum(items, actual, leaves)
            for (fund, item), amount in sums.items():
                if item == "closing_balance":
                    flowing = [l for l in leaves if any(
                        f == fund and items.direction[(f, i)] in ("income", "expense")
                        and items.parent[(f, i)] is None for f, i in actual.get(l, {}))]
                    if any((fund, "closing_balance") not in actual.get(l, {}) for l in flowing):
                        continue
                ledger.append((region, year, fund, item, "actual", str(amount), "元"))
            for (fund, item), amount in complete_sum(items, in_force, leaves).items():
                ledger.append((region, year, fund, item, "budget", str(amount), "元"))
    persons = defaultdict(int)
    leaf_regions = defaultdict(list)
    for region, leaves in under.items():
        for leaf in leaves:
            leaf_regions[leaf].append(region)
    for r in read(src / "headcount.csv"):
        for region in leaf_regions.get(r["region_code"], []):
            key = (region, r["year"], r["fund_code"], r["measure"], r["breakdown"], r["member"],
                   r["scenario"])
            persons[key] += int(r["persons"])
    headcount = [key + (n,) for key, n in persons.items()]
    by_code = {r["region_code"]: r for r in regions}
    out.mkdir(parents=True, exist_ok=True)
    write(out / "funds.csv", list(funds[0].keys()), [list(f.values()) for f in funds])
    write(out / "items.csv", list(item_rows[0].keys()), [list(r.values()) for r in item_rows])
    write(out / "regions.csv", ["region_code", "name_zh", "parent_code", "level"],
          [(c, by_code[c]["name_zh"], "", by_code[c]["level"]) for c in sorted(under)])
    write(out / "ledger.csv",
          ["region_code", "year", "fund_code", "item_code", "scenario", "amount", "unit"], ledger)
    write(out / "headcount.csv",
          ["region_code", "year", "fund_code", "measure", "breakdown", "member", "scenario",
           "persons"], headcount)


def main(argv):
    if len(argv) == 7 and argv[1] == "gen" and argv[2] == "--seed" and argv[4] == "--trees":
        gen(int(argv[3]), int(argv[5]), Path(argv[6]))
    elif len(argv) == 4 and argv[1] == "sum":
        oracle(Path(argv[2]), Path(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
