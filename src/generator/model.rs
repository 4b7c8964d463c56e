//! The synthetic population: regions, persons and the monthly records they produce.
//!
//! Everything is a pure function of the seed: a person's attributes come from a random
//! generator seeded with (seed, person id), so any year can be generated on its own, on any
//! thread, and give the same rows.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// GB/T 2260 province codes (the first two digits), in code order.
const PROVINCES: [u32; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];
const COUNTIES_PER_CITY: u32 = 8;
const CITIES_PER_PROVINCE: u32 = 12;
pub const MAX_COUNTIES: u32 = PROVINCES.len() as u32 * CITIES_PER_PROVINCE * COUNTIES_PER_CITY;

/// Zipf exponent of county sizes: a few big counties, a long tail of small ones.
const ZIPF_EXPONENT: f64 = 1.1;

/// One administrative region of the generated hierarchy.
#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub level: &'static str,
}

/// A county with the persons insured there (ids `first_person..first_person + persons`).
#[derive(Debug, Clone)]
pub struct County {
    pub code: String,
    pub first_person: u64,
    pub persons: u64,
}

/// Counties (with their persons), and every region (county, city, province) for the
/// dimension table.
pub fn regions(counties: u32, persons: u64, seed: u64) -> (Vec<County>, Vec<Region>) {
    let mut regions = Vec::new();
    let mut list = Vec::new();
    let sizes = zipf_sizes(counties, persons, seed);
    let mut first_person = 0;
    for index in 0..counties {
        let city_index = index / COUNTIES_PER_CITY;
        let province = PROVINCES[(city_index / CITIES_PER_PROVINCE) as usize];
        let city = city_index % CITIES_PER_PROVINCE + 1;
        let county = index % COUNTIES_PER_CITY + 1;
        let province_code = format!("{province:02}0000");
        let city_code = format!("{province:02}{city:02}00");
        let code = format!("{province:02}{city:02}{county:02}");
        if index % (COUNTIES_PER_CITY * CITIES_PER_PROVINCE) == 0 {
            regions.push(Region {
                code: province_code.clone(),
                name: format!("省{province:02}"),
                parent: None,
                level: "province",
            });
        }
        if index % COUNTIES_PER_CITY == 0 {
            regions.push(Region {
                code: city_code.clone(),
                name: format!("市{province:02}{city:02}"),
                parent: Some(province_code),
                level: "city",
            });
        }
        regions.push(Region {
            code: code.clone(),
            name: format!("县{code}"),
            parent: Some(city_code),
            level: "county",
        });
        let size = sizes[index as usize];
        list.push(County {
            code,
            first_person,
            persons: size,
        });
        first_person += size;
    }
    (list, regions)
}

/// `persons` split over `counties` in proportion to 1/rank^s, ranks shuffled by the seed;
/// the largest remainders get the leftover persons, so the sizes add up exactly.
fn zipf_sizes(counties: u32, persons: u64, seed: u64) -> Vec<u64> {
    let mut ranks: Vec<u32> = (1..=counties).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..ranks.len()).rev() {
        ranks.swap(i, rng.random_range(0..=i));
    }
    let weights: Vec<f64> = ranks
        .iter()
        .map(|&r| 1.0 / f64::from(r).powf(ZIPF_EXPONENT))
        .collect();
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / total * persons as f64).collect();
    let mut sizes: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let mut leftover = persons - sizes.iter().sum::<u64>();
    let mut by_remainder: Vec<usize> = (0..sizes.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for index in by_remainder {
        if leftover == 0 {
            break;
        }
        sizes[index] += 1;
        leftover -= 1;
    }
    sizes
}

/// The pension fund a person belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Enterprise employees (also insured against work injury while working).
    Enterprise,
    /// Urban and rural residents: one yearly contribution, a small monthly pension.
    Resident,
    /// Government and public institutions.
    Public,
}

/// A person's life over the generated months (month index 0 is January of the first year).
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub scheme: Scheme,
    /// First month with any record (joined before the range: 0).
    pub joins: u32,
    /// First month of retirement (`u32::MAX`: does not retire in the range).
    pub retires: u32,
    /// First month without any record (died, moved away; `u32::MAX`: stays).
    pub leaves: u32,
    /// Months without contributions while working: [start, end).
    pub gap: Option<(u32, u32)>,
    /// Monthly contribution base in the first year, cents.
    pub wage_cents: i64,
    /// Monthly pension, cents.
    pub pension_cents: i64,
    /// Resident scheme: yearly contribution, cents, paid in `pay_month` (0..12).
    pub resident_contribution_cents: i64,
    pub pay_month: u32,
    /// A work-injury benefit (month index, cents), for a few enterprise employees.
    pub injury: Option<(u32, i64)>,
}

impl Person {
    pub fn new(id: u64, months: u32, seed: u64) -> Person {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ id);
        let scheme = match rng.random::<f64>() {
            u if u < 0.62 => Scheme::Enterprise,
            u if u < 0.90 => Scheme::Resident,
            _ => Scheme::Public,
        };
        let years = months.div_ceil(12).max(1);
        let retired_at_start = rng.random::<f64>() < 0.28;
        let retires = if retired_at_start {
            0
        } else if rng.random::<f64>() < 0.04 * f64::from(years) {
            rng.random_range(1..months.max(2))
        } else {
            u32::MAX
        };
        let joins = if rng.random::<f64>() < 0.05 {
            rng.random_range(0..months)
        } else {
            0
        };
        let leaves = if rng.random::<f64>() < 0.01 * f64::from(years) {
            rng.random_range(joins..months).max(joins + 1)
        } else {
            u32::MAX
        };
        let gap = (rng.random::<f64>() < 0.08).then(|| {
            let start = rng.random_range(0..months);
            (start, start + rng.random_range(1..=6))
        });
        // A long-tailed wage: 3000 yuan plus an exponential part with mean 4000.
        let wage_yuan = 3000.0 - 4000.0 * (1.0 - rng.random::<f64>()).ln();
        let injury = (scheme == Scheme::Enterprise
            && rng.random::<f64>() < 0.005 * f64::from(years))
        .then(|| {
            (
                rng.random_range(0..months),
                rng.random_range(500_000..20_000_000),
            )
        });
        Person {
            id: id as i64,
            scheme,
            joins,
            retires,
            leaves,
            gap,
            wage_cents: (wage_yuan.min(40_000.0) * 100.0) as i64,
            pension_cents: match scheme {
                Scheme::Enterprise => rng.random_range(250_000..600_000),
                Scheme::Public => rng.random_range(400_000..900_000),
                Scheme::Resident => rng.random_range(15_000..40_000),
            },
            resident_contribution_cents: rng.random_range(20_000..300_000),
            pay_month: rng.random_range(0..12),
            injury,
        }
    }

    /// The records of month `m` (year `year_index` of the range): (fund, item, cents).
    pub fn records(
        &self,
        m: u32,
        year_index: u32,
        out: &mut Vec<(&'static str, &'static str, i64)>,
    ) {
        if m < self.joins || m >= self.leaves {
            return;
        }
        let fund = match self.scheme {
            Scheme::Enterprise => "enterprise_pension",
            Scheme::Resident => "resident_pension",
            Scheme::Public => "public_pension",
        };
        if m >= self.retires {
            let item = match self.scheme {
                Scheme::Enterprise => "pension_benefit",
                _ => "basic_pension",
            };
            out.push((fund, item, self.pension_cents));
            return;
        }
        if let Some((month, cents)) = self.injury
            && month == m
        {
            out.push(("work_injury", "benefit", cents));
        }
        if self.gap.is_some_and(|(start, end)| m >= start && m < end) {
            return;
        }
        // Contribution bases rise 4 % a year.
        let wage = self.wage_cents * (100 + 4 * i64::from(year_index)) / 100;
        match self.scheme {
            Scheme::Resident => {
                if m % 12 == self.pay_month {
                    out.push((fund, "contribution", self.resident_contribution_cents));
                }
            }
            Scheme::Enterprise => {
                out.push((fund, "contribution", wage * 24 / 100));
                out.push(("work_injury", "contribution", wage * 8 / 1000));
            }
            Scheme::Public => out.push((fund, "contribution", wage * 24 / 100)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_sizes_add_up_and_fall_with_rank() {
        let sizes = zipf_sizes(50, 1_000_003, 7);
        assert_eq!(sizes.iter().sum::<u64>(), 1_000_003);
        let mut sorted = sizes.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        // rank 1 / rank 2 = 2^1.1 ≈ 2.14
        let ratio = sorted[0] as f64 / sorted[1] as f64;
        assert!((ratio - 2.1435).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn codes_nest_county_city_province() {
        let (counties, regions) = regions(20, 1000, 1);
        assert_eq!(counties[0].code, "110101");
        assert_eq!(counties[8].code, "110201");
        let county = regions.iter().find(|r| r.code == "110201").unwrap();
        assert_eq!(county.parent.as_deref(), Some("110200"));
        let city = regions.iter().find(|r| r.code == "110200").unwrap();
        assert_eq!(city.parent.as_deref(), Some("110000"));
        assert_eq!(counties.iter().map(|c| c.persons).sum::<u64>(), 1000);
    }

    #[test]
    fn the_same_seed_gives_the_same_person() {
        let a = Person::new(42, 24, 9);
        let b = Person::new(42, 24, 9);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{:?}", Person::new(43, 24, 9)));
    }
}
