//! Projection to the milestones (2025, 2030...): for one target in one scope, whether each
//! milestone was met, and for a milestone still ahead, whether the trend of the yearly shares
//! observed so far reaches it in time, and in which year it gets there.
//!
//! The trend is the ordinary least-squares line through the observed (year, share) points, capped
//! to 0%..100%. Unlike status, which compares exact fractions, the line is computed in doubles: a
//! projected share is compared with a requirement with a stated tolerance ([`TOLERANCE`]), so that
//! an independent implementation, summing in another order, reaches the same outcome.
//!
//! The rule, as the contract states it: an observed milestone year decides by its own share (MET
//! or MISSED, exactly, as status does); a milestone year not after the evaluated year without a
//! share is NO_DATA; fewer than two observed years leave no trend (TOO_FEW_YEARS); otherwise the
//! trend's share in the milestone's year decides (ON_PACE or OFF_PACE). `projected_share` is set
//! for ON_PACE and OFF_PACE; `projected_year` is, for ON_PACE, the first year from the last
//! observed year on, and for OFF_PACE the first year after the milestone's, at which the projected
//! share meets the requirement, searched up to [`LAST_PROJECTED_YEAR`]; none if there is none.

use std::collections::BTreeMap;

use super::plan::Milestone;
use super::ratio::Ratio;

/// A projected share meets a requirement when `projected >= required - 1e-9`. The rounding of the
/// fit's few double operations is around 1e-15, while a shortfall that means something is far
/// larger (one person among the country's 41,000 press workers is 2.4e-5 of a share): a trend
/// landing exactly on a requirement meets it however the sums were ordered.
pub const TOLERANCE: f64 = 1e-9;

/// The projected year is searched up to this year and no further: "not before 2100" is reported
/// as no year at all rather than looping on a trend that barely rises.
pub const LAST_PROJECTED_YEAR: i32 = 2100;

/// What a milestone's projection says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionOutcome {
    /// The milestone's year has a share, and it meets the requirement.
    Met,
    /// The milestone's year has a share, and it falls short.
    Missed,
    /// The milestone's year is not after the evaluated year and has no share: whether it was met
    /// is unknown, and the trend is not asked to guess what a year already past was.
    NoData,
    /// The milestone is still ahead, but fewer than two years have a share: there is no trend.
    TooFewYears,
    /// Still ahead, and the trend's share in the milestone's year meets the requirement.
    OnPace,
    /// Still ahead, and the trend's share in the milestone's year falls short.
    OffPace,
}

/// The least-squares line `share = a + b * year` through the observed (year, share) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// The years fitted, oldest first: at least two.
    pub years: Vec<i32>,
    /// The share gained each year (0.1 is 10 points a year); negative when the share falls.
    pub slope_per_year: f64,
    /// The last year fitted.
    pub last_year: i32,
    /// The line's share in the last year fitted, not capped: with the slope it gives every
    /// projected share (see [`Trend::projected_share`]).
    pub share_at_last_year: f64,
}

impl Trend {
    /// Fits the line through the observed shares; `None` with fewer than two years, since a single
    /// point has no slope.
    pub fn fit(observed: &BTreeMap<i32, Ratio>) -> Option<Trend> {
        let last_year = *observed.keys().next_back()?;
        if observed.len() < 2 {
            return None;
        }
        // Shares are converted once; years are measured from their mean, which keeps the sums
        // small and the slope and the mean share independent.
        let points: Vec<(f64, f64)> = observed
            .iter()
            .map(|(&year, share)| (f64::from(year), share.to_f64()))
            .collect();
        let count = points.len() as f64;
        let mean_year = points.iter().map(|&(year, _)| year).sum::<f64>() / count;
        let mean_share = points.iter().map(|&(_, share)| share).sum::<f64>() / count;
        let (spread, covariance) =
            points
                .iter()
                .fold((0.0, 0.0), |(spread, covariance), &(year, share)| {
                    let from_mean = year - mean_year;
                    (
                        spread + from_mean * from_mean,
                        covariance + from_mean * (share - mean_share),
                    )
                });
        // The years are distinct and at least two, so `spread` is positive.
        let slope_per_year = covariance / spread;
        Some(Trend {
            years: observed.keys().copied().collect(),
            slope_per_year,
            last_year,
            share_at_last_year: mean_share + slope_per_year * (f64::from(last_year) - mean_year),
        })
    }

    /// The line's share in `year`, capped to 0..1: a share cannot pass 100% or fall below 0%.
    pub fn projected_share(&self, year: i32) -> f64 {
        let elapsed = f64::from(year - self.last_year);
        (self.share_at_last_year + self.slope_per_year * elapsed).clamp(0.0, 1.0)
    }
}

/// One milestone's projection.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneProjection {
    pub year: i32,
    pub required: Ratio,
    pub outcome: ProjectionOutcome,
    /// The share of the milestone's year: set for MET and MISSED.
    pub observed_share: Option<Ratio>,
    /// The trend's share in the milestone's year: set for ON_PACE and OFF_PACE.
    pub projected_share: Option<f64>,
    /// The year the trend meets the requirement, for ON_PACE and OFF_PACE: `None` when it does not
    /// by [`LAST_PROJECTED_YEAR`] (a flat or falling trend below it never does).
    pub projected_year: Option<i32>,
}

/// The projections of one target in one scope, as of an evaluated year.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// `None` with fewer than two observed years.
    pub trend: Option<Trend>,
    /// One per milestone given, in the order given.
    pub milestones: Vec<MilestoneProjection>,
}

/// Projects each of `milestones` (normally every milestone of the target, since milestones are
/// catalogue data) from `observed`, the shares of one target in one scope by year, as of
/// `evaluated_year`. A year without a share is simply absent. Years after `evaluated_year` are
/// left out, so that an earlier period's projection never changes when later reports come in.
pub fn project(
    observed: &BTreeMap<i32, Ratio>,
    evaluated_year: i32,
    milestones: &[Milestone],
) -> Projection {
    let observed: BTreeMap<i32, Ratio> = observed
        .range(..=evaluated_year)
        .map(|(&year, &share)| (year, share))
        .collect();
    let trend = Trend::fit(&observed);
    let milestones = milestones
        .iter()
        .map(|milestone| project_milestone(&observed, evaluated_year, trend.as_ref(), milestone))
        .collect();
    Projection { trend, milestones }
}

fn project_milestone(
    observed: &BTreeMap<i32, Ratio>,
    evaluated_year: i32,
    trend: Option<&Trend>,
    milestone: &Milestone,
) -> MilestoneProjection {
    let required = Ratio::from_basis_points(milestone.required_share_bp);
    let decided = |outcome| MilestoneProjection {
        year: milestone.year,
        required,
        outcome,
        observed_share: None,
        projected_share: None,
        projected_year: None,
    };
    // An observed year is a fact: its own share decides, exactly, whatever the trend says.
    if let Some(&share) = observed.get(&milestone.year) {
        let outcome = if share >= required {
            ProjectionOutcome::Met
        } else {
            ProjectionOutcome::Missed
        };
        return MilestoneProjection {
            observed_share: Some(share),
            ..decided(outcome)
        };
    }
    if milestone.year <= evaluated_year {
        return decided(ProjectionOutcome::NoData);
    }
    let Some(trend) = trend else {
        return decided(ProjectionOutcome::TooFewYears);
    };
    let projected_share = trend.projected_share(milestone.year);
    let on_pace = meets(projected_share, required);
    // Off pace, the year sought is a late one: a falling trend that meets the requirement now but
    // not by the milestone's year must not be reported as reaching it now.
    let search_from = if on_pace {
        trend.last_year
    } else {
        milestone.year + 1
    };
    MilestoneProjection {
        projected_share: Some(projected_share),
        projected_year: (search_from..=LAST_PROJECTED_YEAR)
            .find(|&year| meets(trend.projected_share(year), required)),
        ..decided(if on_pace {
            ProjectionOutcome::OnPace
        } else {
            ProjectionOutcome::OffPace
        })
    }
}

/// Whether a projected share meets a requirement, within [`TOLERANCE`].
fn meets(projected_share: f64, required: Ratio) -> bool {
    projected_share >= required.to_f64() - TOLERANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestone(year: i32, bp: u32) -> Milestone {
        Milestone {
            year,
            required_share_bp: bp,
            parameter_bp: None,
        }
    }

    /// Shares given in percent: `(2024, 50)` is 50% in 2024.
    fn shares(points: &[(i32, i128)]) -> BTreeMap<i32, Ratio> {
        points
            .iter()
            .map(|&(year, percent)| (year, Ratio::new(percent, 100).unwrap()))
            .collect()
    }

    fn one(observed: &BTreeMap<i32, Ratio>, year: i32, at: Milestone) -> MilestoneProjection {
        project(observed, year, &[at]).milestones.remove(0)
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-12
    }

    #[test]
    fn an_observed_milestone_year_is_met_by_its_own_share_even_against_the_trend() {
        // 70%, 40%, 70%: mean year 2024, mean share 60%; the deviations (-1, +10), (0, -20),
        // (+1, +10) give a slope of (-10 + 10) / 2 = 0, so the line sits at 60% in 2025, short of
        // 70%. The observed 70% equals the requirement: met (>=, exactly).
        let observed = shares(&[(2023, 70), (2024, 40), (2025, 70)]);
        let projection = project(&observed, 2025, &[milestone(2025, 7000)]);
        let trend = projection.trend.as_ref().unwrap();
        assert!(close(trend.slope_per_year, 0.0));
        assert!(close(trend.share_at_last_year, 0.6));
        let met = &projection.milestones[0];
        assert_eq!(met.outcome, ProjectionOutcome::Met);
        assert_eq!(met.observed_share, Ratio::new(7, 10));
        assert_eq!((met.projected_share, met.projected_year), (None, None));
    }

    #[test]
    fn an_observed_milestone_year_below_the_requirement_is_missed_even_if_the_trend_meets_it() {
        // 40%, 70%, 69%: mean share 59.67%, slope ((-1)(-19.67) + (+1)(9.33)) / 2 = 14.5 points a
        // year, line at 59.67 + 14.5 = 74.17% in 2025: the trend would meet 70%, and 2024 did,
        // but 2025 itself has 69%.
        let observed = shares(&[(2023, 40), (2024, 70), (2025, 69)]);
        let missed = one(&observed, 2025, milestone(2025, 7000));
        assert_eq!(missed.outcome, ProjectionOutcome::Missed);
        assert_eq!(missed.observed_share, Ratio::new(69, 100));
        assert_eq!(
            (missed.projected_share, missed.projected_year),
            (None, None)
        );
    }

    #[test]
    fn a_rising_trend_is_on_pace_capped_at_100_percent_with_the_year_it_gets_there() {
        // 40%, 50%, 60%: 10 points a year, 60% in 2025. 2030: 60 + 5 * 10 = 110%, capped to 100%,
        // meets 100%. The year: 60 + 10k >= 100 first at k = 4, 2029 (in doubles the line gives
        // 0.9999999999999999 there, met within the tolerance; a strict >= would say 2030).
        let observed = shares(&[(2023, 40), (2024, 50), (2025, 60)]);
        let projection = project(
            &observed,
            2025,
            &[milestone(2025, 7000), milestone(2030, 10_000)],
        );
        let trend = projection.trend.as_ref().unwrap();
        assert_eq!(trend.years, vec![2023, 2024, 2025]);
        assert_eq!(trend.last_year, 2025);
        assert!(close(trend.slope_per_year, 0.1));
        assert!(close(trend.share_at_last_year, 0.6));
        assert_eq!(
            projection.milestones[0].outcome,
            ProjectionOutcome::Missed // 60% < 70% in 2025
        );
        let by_2030 = &projection.milestones[1];
        assert_eq!(by_2030.outcome, ProjectionOutcome::OnPace);
        assert_eq!(by_2030.projected_share, Some(1.0));
        assert_eq!(by_2030.projected_year, Some(2029));
    }

    #[test]
    fn a_slow_trend_is_off_pace_and_gets_there_late() {
        // 50%, 55%: 5 points a year. 2030: 55 + 5 * 5 = 80% < 100%. 55 + 5k >= 100 at k = 9: 2034.
        let observed = shares(&[(2024, 50), (2025, 55)]);
        let late = one(&observed, 2025, milestone(2030, 10_000));
        assert_eq!(late.outcome, ProjectionOutcome::OffPace);
        assert!(close(late.projected_share.unwrap(), 0.8));
        assert_eq!(late.projected_year, Some(2034));
    }

    #[test]
    fn a_flat_or_falling_trend_below_the_requirement_never_gets_there() {
        // 60%, 60%: flat at 60%, never 100%.
        let flat = one(
            &shares(&[(2024, 60), (2025, 60)]),
            2025,
            milestone(2030, 10_000),
        );
        assert_eq!(flat.outcome, ProjectionOutcome::OffPace);
        assert!(close(flat.projected_share.unwrap(), 0.6));
        assert_eq!(flat.projected_year, None);
        // 95%, 90%: -5 points a year, 90 - 25 = 65% in 2030 < 70%. It meets 70% today, in 2025,
        // but only falls from there: no year, rather than 2025 ("the first year from the last
        // observed year on" would say 2025).
        let falling = one(
            &shares(&[(2024, 95), (2025, 90)]),
            2025,
            milestone(2030, 7000),
        );
        assert_eq!(falling.outcome, ProjectionOutcome::OffPace);
        assert!(close(falling.projected_share.unwrap(), 0.65));
        assert_eq!(falling.projected_year, None);
        // The same trend against 60% in 2030: 65% meets it, and it is met from 2025 on.
        let above = one(
            &shares(&[(2024, 95), (2025, 90)]),
            2025,
            milestone(2030, 6000),
        );
        assert_eq!(above.outcome, ProjectionOutcome::OnPace);
        assert_eq!(above.projected_year, Some(2025));
    }

    #[test]
    fn a_single_year_makes_no_trend() {
        // 2025 alone: its own milestone is decided by its share, 2030 has no trend to go by.
        let projection = project(
            &shares(&[(2025, 80)]),
            2025,
            &[milestone(2025, 7000), milestone(2030, 10_000)],
        );
        assert_eq!(projection.trend, None);
        assert_eq!(projection.milestones[0].outcome, ProjectionOutcome::Met);
        let by_2030 = &projection.milestones[1];
        assert_eq!(by_2030.outcome, ProjectionOutcome::TooFewYears);
        assert_eq!(
            (by_2030.projected_share, by_2030.projected_year),
            (None, None)
        );
        // Nothing observed at all: the same.
        let nothing = one(&BTreeMap::new(), 2025, milestone(2030, 10_000));
        assert_eq!(nothing.outcome, ProjectionOutcome::TooFewYears);
    }

    #[test]
    fn the_fit_uses_the_years_themselves_and_a_past_year_without_a_share_is_no_data() {
        // 2023 40%, 2025 60%, 2024 missing: 20 points over two years, 10 a year (by position it
        // would be 20 a year). 2028: 60 + 3 * 10 = 90% < 95% (by position 120%, on pace). The
        // year: 60 + 10k >= 95 at k = 4 (k = 3 gives 90), 2029. 2024 has no share and is past:
        // no data, though the line would put 50% there, meeting 50%.
        let observed = shares(&[(2023, 40), (2025, 60)]);
        let projection = project(
            &observed,
            2025,
            &[milestone(2024, 5000), milestone(2028, 9500)],
        );
        let trend = projection.trend.as_ref().unwrap();
        assert_eq!(trend.years, vec![2023, 2025]);
        assert!(close(trend.slope_per_year, 0.1));
        let no_data = &projection.milestones[0];
        assert_eq!(no_data.outcome, ProjectionOutcome::NoData);
        assert_eq!(
            (no_data.projected_share, no_data.projected_year),
            (None, None)
        );
        let by_2028 = &projection.milestones[1];
        assert_eq!(by_2028.outcome, ProjectionOutcome::OffPace);
        assert!(close(by_2028.projected_share.unwrap(), 0.9));
        assert_eq!(by_2028.projected_year, Some(2029));
    }

    #[test]
    fn the_evaluated_year_without_a_share_is_no_data_and_later_years_are_left_out() {
        // Evaluated in 2025 with no 2025 share yet: the 2025 milestone is no data, not projected
        // from 2023-2024. 2026's 100% came in later and must not change 2025's projection: the
        // trend is 2023-2024 only, 10 points a year, 2030 at 50 + 6 * 10 = 110% -> 100%.
        let observed = shares(&[(2023, 40), (2024, 50), (2026, 100)]);
        let projection = project(
            &observed,
            2025,
            &[milestone(2025, 7000), milestone(2030, 10_000)],
        );
        assert_eq!(projection.trend.as_ref().unwrap().years, vec![2023, 2024]);
        assert_eq!(projection.milestones[0].outcome, ProjectionOutcome::NoData);
        let by_2030 = &projection.milestones[1];
        assert_eq!(by_2030.outcome, ProjectionOutcome::OnPace);
        // 50 + 10k >= 100 at k = 5: 2029.
        assert_eq!(by_2030.projected_year, Some(2029));
    }

    #[test]
    fn a_projected_share_is_floored_at_zero() {
        // 20%, 10%: -10 points a year, 10 - 50 = -40% in 2030, floored to 0%: a 0% milestone is
        // met (uncapped, -40% would be off pace), a 50% one is not and never will be.
        let observed = shares(&[(2024, 20), (2025, 10)]);
        let projection = project(
            &observed,
            2025,
            &[milestone(2030, 0), milestone(2030, 5000)],
        );
        let nothing_required = &projection.milestones[0];
        assert_eq!(nothing_required.outcome, ProjectionOutcome::OnPace);
        assert_eq!(nothing_required.projected_share, Some(0.0));
        assert_eq!(nothing_required.projected_year, Some(2025));
        let half = &projection.milestones[1];
        assert_eq!(half.outcome, ProjectionOutcome::OffPace);
        assert_eq!(half.projected_share, Some(0.0));
        assert_eq!(half.projected_year, None);
    }

    #[test]
    fn a_trend_landing_exactly_on_the_requirement_meets_it_and_a_real_shortfall_does_not() {
        // 40%, 50%, 60%: exactly 80% in 2027, which the doubles give as 0.7999999999999999.
        let rising = shares(&[(2023, 40), (2024, 50), (2025, 60)]);
        let tie = one(&rising, 2025, milestone(2027, 8000));
        assert!(tie.projected_share.unwrap() < 0.8);
        assert_eq!(tie.outcome, ProjectionOutcome::OnPace);
        assert_eq!(tie.projected_year, Some(2027));
        // Flat at 99.999999%: 1e-8 short of 100%, ten times the tolerance: off pace, for good.
        let short = BTreeMap::from([
            (2024, Ratio::new(99_999_999, 100_000_000).unwrap()),
            (2025, Ratio::new(99_999_999, 100_000_000).unwrap()),
        ]);
        let shortfall = one(&short, 2025, milestone(2030, 10_000));
        assert_eq!(shortfall.outcome, ProjectionOutcome::OffPace);
        assert_eq!(shortfall.projected_year, None);
    }

    #[test]
    fn a_trend_too_slow_for_the_search_bound_gives_no_year() {
        // 50%, 50.01%: 0.01 point a year, 100% only after 4999 more years.
        let observed = BTreeMap::from([
            (2024, Ratio::from_basis_points(5000)),
            (2025, Ratio::from_basis_points(5001)),
        ]);
        let crawling = one(&observed, 2025, milestone(2030, 10_000));
        assert_eq!(crawling.outcome, ProjectionOutcome::OffPace);
        assert_eq!(crawling.projected_year, None);
    }
}
