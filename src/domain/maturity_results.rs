//! The maturity index's results (issue 13, item 4): from each agency's final score in a period,
//! its ranks within its block nationally and in its province, and per scope the count of agencies
//! per level and the mean and median of each pillar; and the comparison of two periods, which
//! across framework versions compares only the pillars' shares of their maximum. The rules are
//! written out for integrators in proto/pressdx/v1/maturity.proto (GetMaturityResults,
//! CompareMaturityResults); the scope's agencies come from `scope.rs`, as for target summaries.

use std::collections::{BTreeMap, HashMap};

use super::assessment::Scores;
use super::catalog::Catalog;
use super::maturity::{Block, Framework, Points};
use super::organization::{Organization, OrganizationVersion};
use super::period::Period;
use super::scope::Coverage;

/// An agency's latest revision for a period, scored with its appraisals in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessed {
    pub self_assessment_id: i64,
    pub revision: i32,
    /// At least one criterion of the revision was appraised.
    pub appraised: bool,
    pub final_scores: Scores,
}

/// A place in a ranking: `rank` of the `ranked` agencies ranked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    pub rank: u32,
    pub ranked: u32,
}

/// One agency of a scope with a self-assessment.
#[derive(Debug, Clone)]
pub struct AgencyResult<'a> {
    pub agency: &'a Organization,
    /// Its attributes on the period's reference date.
    pub version: &'a OrganizationVersion,
    pub assessed: &'a Assessed,
    pub block: Option<&'a Block>,
    /// `None` when its type has no block.
    pub national: Option<Rank>,
    pub province: Option<Rank>,
}

/// The results of a scope in a period.
#[derive(Debug, Clone)]
pub struct Results<'a> {
    /// By agency code.
    pub agencies: Vec<AgencyResult<'a>>,
    /// The agencies covered without a self-assessment, by code.
    pub missing: Vec<&'a str>,
    pub aggregate: Aggregate,
}

/// A scope's figures over its assessed agencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub assessed: u32,
    pub missing: u32,
    /// Every level of the framework, weakest first: (rank, name, agencies reaching it).
    pub levels: Vec<(u32, String, u32)>,
    /// Every pillar of the framework, in its order.
    pub pillars: Vec<Statistics>,
    pub total: Statistics,
}

/// Mean and median of one part (a pillar or the total) over `n` assessed agencies, in hundredths
/// of a point, and the mean share of the part's maximum in basis points; `None` when `n` is 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    pub code: String,
    pub maximum: Points,
    pub mean: Option<u32>,
    pub median: Option<u32>,
    pub mean_share_bp: Option<u32>,
}

/// The code `Aggregate::total` goes by.
pub const TOTAL: &str = "total";

/// The results of the agencies `coverage` holds in `period`, governed by `framework`.
/// `assessed` holds every agency in the country with a self-assessment for the period that
/// counts: ranks are taken over all of them, whatever the scope.
pub fn results<'a>(
    catalog: &'a Catalog,
    framework: &'a Framework,
    period: &Period,
    coverage: &Coverage<'a>,
    assessed: &'a BTreeMap<String, Assessed>,
) -> Results<'a> {
    let rankings = Rankings::of(catalog, framework, period, assessed);
    let mut agencies = Vec::new();
    let mut missing = Vec::new();
    for (agency, version) in &coverage.agencies {
        let Some(found) = assessed.get(&agency.code) else {
            missing.push(agency.code.as_str());
            continue;
        };
        let block = version
            .agency_type
            .and_then(|agency_type| framework.block_for(agency_type));
        agencies.push(AgencyResult {
            agency,
            version,
            assessed: found,
            block,
            national: rankings.national.get(agency.code.as_str()).copied(),
            province: rankings.province.get(agency.code.as_str()).copied(),
        });
    }
    let scores: Vec<&Scores> = agencies
        .iter()
        .map(|result| &result.assessed.final_scores)
        .collect();
    let aggregate = aggregate(framework, &scores, count(missing.len()));
    Results {
        agencies,
        missing,
        aggregate,
    }
}

/// Every ranked agency's national and provincial rank in a period.
struct Rankings<'a> {
    national: HashMap<&'a str, Rank>,
    province: HashMap<&'a str, Rank>,
}

impl<'a> Rankings<'a> {
    /// Ranks every assessed agency that existed on the period's reference date and whose type
    /// that day has a block: within the block in the country, and within the block in its
    /// province that day.
    fn of(
        catalog: &'a Catalog,
        framework: &'a Framework,
        period: &Period,
        assessed: &'a BTreeMap<String, Assessed>,
    ) -> Rankings<'a> {
        let on = period.reference_date();
        let mut by_block: BTreeMap<&str, Vec<(&str, Points)>> = BTreeMap::new();
        let mut by_block_and_province: BTreeMap<(&str, &str), Vec<(&str, Points)>> =
            BTreeMap::new();
        for (code, found) in assessed {
            let Some(version) = catalog
                .organization(code)
                .and_then(|agency| agency.version_on(on))
            else {
                continue;
            };
            let Some(block) = version
                .agency_type
                .and_then(|agency_type| framework.block_for(agency_type))
            else {
                continue;
            };
            let entry = (code.as_str(), found.final_scores.total);
            by_block.entry(&block.code).or_default().push(entry);
            if let Some(province) = &version.province_code {
                by_block_and_province
                    .entry((&block.code, province))
                    .or_default()
                    .push(entry);
            }
        }
        Rankings {
            national: by_block.values().flat_map(|totals| ranks(totals)).collect(),
            province: by_block_and_province
                .values()
                .flat_map(|totals| ranks(totals))
                .collect(),
        }
    }
}

/// Competition ranking ("1224"), highest total first: an agency's rank is one more than the
/// number of agencies with a strictly higher total, so equal totals share a rank and the next
/// rank skips as many places as shared it.
fn ranks<'a>(totals: &[(&'a str, Points)]) -> Vec<(&'a str, Rank)> {
    let ranked = count(totals.len());
    totals
        .iter()
        .map(|(code, total)| {
            let higher = totals.iter().filter(|(_, other)| other > total).count();
            (
                *code,
                Rank {
                    rank: count(higher) + 1,
                    ranked,
                },
            )
        })
        .collect()
}

/// The level counts and the statistics of each pillar and of the total over `scores`.
fn aggregate(framework: &Framework, scores: &[&Scores], missing: u32) -> Aggregate {
    let levels = framework
        .levels
        .iter()
        .map(|level| {
            let reaching = scores
                .iter()
                .filter(|score| score.level.as_ref().is_some_and(|l| l.rank == level.rank))
                .count();
            (level.rank, level.name.clone(), count(reaching))
        })
        .collect();
    let pillars = framework
        .pillars
        .iter()
        .map(|pillar| {
            let values: Vec<u32> = scores
                .iter()
                .filter_map(|score| {
                    score
                        .pillars
                        .iter()
                        .find(|subtotal| subtotal.code == pillar.code)
                })
                .map(|subtotal| subtotal.points.hundredths())
                .collect();
            statistics(&pillar.code, pillar.points, &values)
        })
        .collect();
    let totals: Vec<u32> = scores
        .iter()
        .map(|score| score.total.hundredths())
        .collect();
    Aggregate {
        assessed: count(scores.len()),
        missing,
        levels,
        pillars,
        total: statistics(TOTAL, framework.points, &totals),
    }
}

fn statistics(code: &str, maximum: Points, values: &[u32]) -> Statistics {
    let n = u64::try_from(values.len()).unwrap_or(u64::MAX);
    let sum: u64 = values.iter().map(|value| u64::from(*value)).sum();
    let mean = (n > 0).then(|| narrow(divide_rounding_half_up(sum, n)));
    let median = (n > 0).then(|| {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let middle = sorted.len() / 2;
        if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            let pair = u64::from(sorted[middle - 1]) + u64::from(sorted[middle]);
            narrow(divide_rounding_half_up(pair, 2))
        }
    });
    let maximum_of_all = n * u64::from(maximum.hundredths());
    let mean_share_bp = (n > 0 && maximum_of_all > 0)
        .then(|| narrow(divide_rounding_half_up(sum * 10_000, maximum_of_all)));
    Statistics {
        code: code.to_string(),
        maximum,
        mean,
        median,
        mean_share_bp,
    }
}

/// `numerator / denominator` rounded to the nearest whole number, halves up; `denominator` > 0.
fn divide_rounding_half_up(numerator: u64, denominator: u64) -> u64 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// A mean or median of `u32` values, or a share of at most 10,000, fits a `u32`.
fn narrow(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One pillar of two periods' results side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PillarComparison {
    pub code: String,
    pub share_bp: Option<u32>,
    pub baseline_share_bp: Option<u32>,
    /// `share_bp - baseline_share_bp`, when both are known.
    pub change_bp: Option<i64>,
}

/// The pillars of `current` in its order, then those only `baseline` has, matched by code, each
/// with its mean share of its maximum in both periods.
pub fn compare_pillars(current: &Aggregate, baseline: &Aggregate) -> Vec<PillarComparison> {
    let share_in = |aggregate: &Aggregate, code: &str| {
        aggregate
            .pillars
            .iter()
            .find(|pillar| pillar.code == code)
            .and_then(|pillar| pillar.mean_share_bp)
    };
    let only_in_baseline = baseline.pillars.iter().filter(|pillar| {
        current
            .pillars
            .iter()
            .all(|other| other.code != pillar.code)
    });
    current
        .pillars
        .iter()
        .chain(only_in_baseline)
        .map(|pillar| {
            let share_bp = share_in(current, &pillar.code);
            let baseline_share_bp = share_in(baseline, &pillar.code);
            PillarComparison {
                code: pillar.code.clone(),
                share_bp,
                baseline_share_bp,
                change_bp: share_bp
                    .zip(baseline_share_bp)
                    .map(|(now, then)| i64::from(now) - i64::from(then)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_totals_share_a_rank_and_the_next_rank_skips() {
        let totals = [
            ("a", Points::whole(7)),
            ("b", Points::whole(9)),
            ("c", Points::whole(9)),
            ("d", Points::from_hundredths(699)),
        ];
        let ranked: Vec<(&str, u32, u32)> = ranks(&totals)
            .into_iter()
            .map(|(code, rank)| (code, rank.rank, rank.ranked))
            .collect();
        // Two at 9 share 1; 7 has two above it: 3 (not 2, as dense ranking would give); 6.99: 4.
        assert_eq!(ranked, [("a", 3, 4), ("b", 1, 4), ("c", 1, 4), ("d", 4, 4)]);
    }

    #[test]
    fn means_and_medians_round_halves_up() {
        // 1.00 and 1.25: mean and median 1.125, rounded half up to 1.13 (half-even or
        // truncation would give 1.12). Their share of a 4-point maximum: 2.25 / 8 = 28.125%,
        // 2812.5 basis points, rounded up to 2813.
        let two = statistics("P1", Points::whole(4), &[100, 125]);
        assert_eq!(
            (two.mean, two.median, two.mean_share_bp),
            (Some(113), Some(113), Some(2813))
        );
        // Odd count: the middle value; the mean of 0, 1 and 5 is 2.
        let three = statistics("P1", Points::whole(4), &[500, 0, 100]);
        assert_eq!((three.mean, three.median), (Some(200), Some(100)));
        // 0.01, 0.01 and 0.02 average 0.01333...: 0.01 (the lower third rounds down).
        let thirds = statistics("P1", Points::whole(4), &[1, 1, 2]);
        assert_eq!(thirds.mean, Some(1));
        let none = statistics("P1", Points::whole(4), &[]);
        assert_eq!(
            (none.mean, none.median, none.mean_share_bp),
            (None, None, None)
        );
    }

    #[test]
    fn pillars_are_matched_by_code_across_periods() {
        let aggregate = |pillars: &[(&str, Option<u32>)]| Aggregate {
            assessed: 1,
            missing: 0,
            levels: Vec::new(),
            pillars: pillars
                .iter()
                .map(|(code, share)| Statistics {
                    code: (*code).into(),
                    maximum: Points::whole(1),
                    mean: None,
                    median: None,
                    mean_share_bp: *share,
                })
                .collect(),
            total: statistics(TOTAL, Points::whole(1), &[]),
        };
        let now = aggregate(&[("P1", Some(5000)), ("P3", Some(100))]);
        let then = aggregate(&[("P2", Some(700)), ("P1", Some(6250))]);
        let compared = compare_pillars(&now, &then);
        let pillar = |code: &str, now, then, change| PillarComparison {
            code: code.into(),
            share_bp: now,
            baseline_share_bp: then,
            change_bp: change,
        };
        assert_eq!(
            compared,
            [
                pillar("P1", Some(5000), Some(6250), Some(-1250)),
                pillar("P3", Some(100), None, None),
                pillar("P2", None, Some(700), None),
            ]
        );
    }
}
