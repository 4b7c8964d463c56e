//! Exact at every level: the three wrong figures of issue 26, each on a small data folder built
//! here through `fundq import` (one province 650000, one city 650100, three counties), with the
//! expected figures computed by hand in the comments from the CSVs below.

use crate::common::{DataFolder, ok};

const REGIONS: &str = "region_code,name_zh,parent_code,level\n\
    650000,测试省,,province\n\
    650100,测试市,650000,city\n\
    650101,甲县,650100,county\n\
    650102,乙县,650100,county\n\
    650103,丙县,650100,county\n";

const FUNDS: &str = "fund_code,name_zh,name_en,sort_order\n\
    enterprise_pension,企业职工基本养老保险,Enterprise employees' basic pension insurance,1\n";

const ITEMS: &str = "fund_code,item_code,name_zh,direction,parent_code,of_which,category,memo,sort_order\n\
    enterprise_pension,contribution,基本养老保险费收入,income,,false,contribution,false,1\n\
    enterprise_pension,fiscal_subsidy,财政补贴收入,income,,false,fiscal_subsidy,false,2\n\
    enterprise_pension,pension_benefit,养老保险支出,expense,,false,benefit,false,10\n\
    enterprise_pension,basic_pension,基本养老金支出,expense,pension_benefit,false,benefit,false,11\n\
    enterprise_pension,sickness_allowance,病残津贴支出,expense,pension_benefit,false,benefit,false,12\n";

/// A data folder holding the dimension tables above and the given (table, CSV) pairs, each
/// imported by `fundq import`.
fn folder(tables: &[(&str, &str)]) -> DataFolder {
    let folder = DataFolder::new();
    let dimensions = [("fund", FUNDS), ("item", ITEMS), ("region", REGIONS)];
    for (table, csv) in dimensions.iter().chain(tables) {
        ok(folder.import_csv(table, csv));
    }
    folder
}

fn lines(csv: &str) -> Vec<&str> {
    csv.lines().collect()
}

#[test]
fn a_period_total_counts_each_items_budget_in_force() {
    // 2024 budgets of 甲县: contribution 1000 万元, adjusted to 1100; fiscal subsidy 500, not
    // adjusted. Cumulative to June: 600 and 200.
    let folder = folder(&[
        (
            "ledger",
            "region_code,year,fund_code,item_code,scenario,amount,unit\n\
             650101,2024,enterprise_pension,contribution,budget,1000,万元\n\
             650101,2024,enterprise_pension,contribution,adjusted_budget,1100,万元\n\
             650101,2024,enterprise_pension,fiscal_subsidy,budget,500,万元\n",
        ),
        (
            "ledger_period",
            "region_code,period,fund_code,item_code,amount,cumulative,unit\n\
             650101,2024-06,enterprise_pension,contribution,,600,万元\n\
             650101,2024-06,enterprise_pension,fiscal_subsidy,,200,万元\n",
        ),
    ]);
    let rows = folder.csv(
        "SELECT item_code, budget_wan, adjusted_budget_wan, cumulative_wan, progress, elapsed, \
         gap_points, lagging FROM period_execution WHERE direction = 'income' AND period = '2024-06' ORDER BY item_code",
    );
    // contribution: 600 / 1100 = 54.5454… → 54.55 %; elapsed 6 / 12 = 50.00; gap 4.55.
    // fiscal_subsidy: 200 / 500 = 40.00 %; gap −10.00, more than 5 points behind: lagging.
    // total: budget 1000 + 500 = 1500; budget in force 1100 + 500 = 1600 (v1 showed 1100, the
    // adjusted item alone); cumulative 800; progress 800 / 1600 = 50.00 % (v1: 72.73); gap 0.
    assert_eq!(
        lines(&rows),
        [
            "item_code,budget_wan,adjusted_budget_wan,cumulative_wan,progress,elapsed,gap_points,lagging",
            "contribution,1000.00,1100.00,600.00,54.55,50.00,4.55,false",
            "fiscal_subsidy,500.00,,200.00,40.00,50.00,-10.00,true",
            "total,1500.00,1600.00,800.00,50.00,50.00,0.00,false",
        ]
    );
    // The annual view's total has the same budget in force: 1600 万元.
    assert_eq!(
        folder.csv(
            "SELECT budget_wan FROM budget_execution \
             WHERE item_code = 'total' AND direction = 'income'"
        ),
        "budget_wan\n1600.00\n"
    );
}

#[test]
fn a_cumulative_below_the_stored_months_is_refused() {
    // January to August 100.00 万元 each, September 156.43: 8 × 100 + 156.43 = 956.43 万元
    // = 9564300.00 yuan, stored as amounts only.
    let mut months =
        String::from("region_code,period,fund_code,item_code,amount,cumulative,unit\n");
    for month in 1..=9 {
        let amount = if month == 9 { "156.43" } else { "100.00" };
        months +=
            &format!("650101,2024-{month:02},enterprise_pension,contribution,{amount},,万元\n");
    }
    let folder = folder(&[("ledger_period", &months)]);
    let stored = |folder: &DataFolder| {
        folder.csv("SELECT period, amount_yuan, cumulative_yuan FROM ledger_period ORDER BY period")
    };
    let before = stored(&folder);
    // October's 累计 900.00 万元 is below the 956.43 the stored months add up to.
    let (code, _, stderr) = folder.import_csv(
        "ledger_period",
        "region_code,period,fund_code,item_code,amount,cumulative,unit\n\
         650101,2024-10,enterprise_pension,contribution,,900.00,万元\n",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "row 2, column cumulative_yuan: `9000000.00` is less than 9564300.00 yuan, the sum \
             of the months up to 2024-09 (stored); a cumulative figure never decreases"
        ),
        "{stderr}"
    );
    assert_eq!(stored(&folder), before, "nothing is written");
    // At or above the months' sum it is accepted: 1000.00 − 956.43 = 43.57 万元 in October.
    ok(folder.import_csv(
        "ledger_period",
        "region_code,period,fund_code,item_code,amount,cumulative,unit\n\
         650101,2024-10,enterprise_pension,contribution,,1000.00,万元\n",
    ));
    assert_eq!(
        folder
            .csv("SELECT amount_yuan, cumulative_yuan FROM period_amount WHERE period = '2024-10'"),
        "amount_yuan,cumulative_yuan\n435700.00,10000000.00\n"
    );
}

#[test]
fn a_per_capita_roll_up_of_a_partial_sum_is_null_with_its_reason() {
    // 2024 actuals: every county states 养老保险支出 (1000, 800, 600 万元); only 甲县 states its
    // part 基本养老金支出 (850). Retirees 4000, 3000, 2000.
    let folder = folder(&[
        (
            "ledger",
            "region_code,year,fund_code,item_code,scenario,amount,unit\n\
             650101,2024,enterprise_pension,pension_benefit,actual,1000,万元\n\
             650101,2024,enterprise_pension,basic_pension,actual,850,万元\n\
             650102,2024,enterprise_pension,pension_benefit,actual,800,万元\n\
             650103,2024,enterprise_pension,pension_benefit,actual,600,万元\n",
        ),
        (
            "headcount",
            "region_code,year,fund_code,measure,breakdown,member,scenario,persons\n\
             650101,2024,enterprise_pension,retired,total,all,actual,4000\n\
             650102,2024,enterprise_pension,retired,total,all,actual,3000\n\
             650103,2024,enterprise_pension,retired,total,all,actual,2000\n",
        ),
    ]);
    let rows = folder.csv(
        "SELECT region_code, numerator_wan, denominator, value, note FROM per_capita_rollup \
         WHERE indicator = 'basic_pension_per_retiree' ORDER BY region_code",
    );
    // 甲县: 850 / 4000 = 0.2125 万元/人. The city and the province: 850 is 甲县's part alone
    // (v1 showed 850 / 9000 = 0.0944), so no figure, and the reason.
    let reason = "basic_pension is stated by 1 of the 3 leaf regions that state its parent item; \
                  a partial sum is not a total";
    assert_eq!(
        lines(&rows),
        [
            "region_code,numerator_wan,denominator,value,note".to_string(),
            format!("650000,,9000,,{reason}"),
            format!("650100,,9000,,{reason}"),
            "650101,850.00,4000,0.2125,".to_string(),
        ]
    );
    // Nor is the city ranked on it; 甲县 is, alone among its siblings.
    assert_eq!(
        folder.csv(
            "SELECT region_code, value, rank, siblings FROM region_rank \
             WHERE indicator = 'basic_pension_per_retiree' ORDER BY region_code"
        ),
        "region_code,value,rank,siblings\n650101,0.2125,1,1\n"
    );
}
