//! Target status, adapted from the Open SDG progress method: achieved when this year's required
//! share is met; otherwise the yearly progress observed since the previous period, against the
//! yearly progress needed to reach the next milestone in time.

use super::plan::Milestone;
use super::ratio::Ratio;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// The share meets this year's requirement.
    Achieved,
    /// Progressing at 95% or more of the pace needed.
    OnTrack,
    /// Progressing at 60% to 95% of the pace needed.
    AccelerationNeeded,
    /// Progressing at less than 60% of the pace needed (or not at all).
    LimitedProgress,
    /// The share fell since the previous period.
    Deterioration,
    /// Nothing was reported.
    NoData,
    /// Not achieved, and there is no previous period's share to measure progress against.
    NoTrend,
}

/// What a target requires in a year: the milestone of that year, or the requirement linearly
/// interpolated between the milestones around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// `None` before the first milestone: nothing is required yet.
    pub required: Option<Ratio>,
    /// True when `required` is interpolated rather than a milestone's own.
    pub interpolated: bool,
    /// The parameter in force: the milestone's of this year, else the next one's, else the last.
    pub parameter_bp: Option<u32>,
}

pub fn requirement(milestones: &[Milestone], year: i32) -> Requirement {
    let exact = milestones.iter().find(|milestone| milestone.year == year);
    let previous = milestones
        .iter()
        .rev()
        .find(|milestone| milestone.year < year);
    let next = milestones.iter().find(|milestone| milestone.year > year);
    let parameter_bp = exact
        .or(next)
        .or(milestones.last())
        .and_then(|milestone| milestone.parameter_bp);
    let (required, interpolated) = match (exact, previous, next) {
        (Some(milestone), _, _) => (
            Some(Ratio::from_basis_points(milestone.required_share_bp)),
            false,
        ),
        (None, Some(before), Some(after)) => {
            let start = Ratio::from_basis_points(before.required_share_bp);
            let end = Ratio::from_basis_points(after.required_share_bp);
            let elapsed = i128::from(year - before.year);
            let span = i128::from(after.year - before.year);
            (
                Some(start.plus(end.minus(start).scaled(elapsed, span))),
                true,
            )
        }
        // After the last milestone its requirement stays.
        (None, Some(last), None) => (
            Some(Ratio::from_basis_points(last.required_share_bp)),
            false,
        ),
        (None, None, _) => (None, false),
    };
    Requirement {
        required,
        interpolated,
        parameter_bp,
    }
}

/// A status with the figures that explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: TargetStatus,
    pub requirement: Requirement,
    /// The milestone worked towards: the next one after this year, or the last one if none is left.
    pub next_milestone: Option<(i32, Ratio)>,
    /// Share this period minus share in the previous period.
    pub observed_yearly_progress: Option<Ratio>,
    /// What each remaining year must add to reach the next milestone in time.
    pub needed_yearly_progress: Option<Ratio>,
    pub explanation: String,
}

/// Assesses `share` in `year`, with `previous` the share of the year before (same scope).
pub fn assess(
    share: Option<Ratio>,
    previous: Option<Ratio>,
    year: i32,
    milestones: &[Milestone],
) -> Assessment {
    let requirement = requirement(milestones, year);
    let next_milestone = milestones
        .iter()
        .find(|milestone| milestone.year > year)
        .or(milestones.last())
        .map(|milestone| {
            (
                milestone.year,
                Ratio::from_basis_points(milestone.required_share_bp),
            )
        });
    let mut assessment = Assessment {
        status: TargetStatus::NoData,
        requirement,
        next_milestone,
        observed_yearly_progress: None,
        needed_yearly_progress: None,
        explanation: String::new(),
    };

    let Some(share) = share else {
        assessment.explanation = "nothing was reported".into();
        return assessment;
    };
    if let Some(required) = requirement.required
        && share >= required
    {
        assessment.status = TargetStatus::Achieved;
        assessment.explanation = format!("{share} meets the {required} required in {year}");
        return assessment;
    }

    let Some((target_year, target_share)) = next_milestone else {
        assessment.status = TargetStatus::NoTrend;
        assessment.explanation = "the target has no milestone".into();
        return assessment;
    };
    // Past the last milestone, the gap is to be closed within the next year.
    let years_left = i128::from((target_year - year).max(1));
    let needed = target_share.minus(share).scaled(1, years_left);
    assessment.needed_yearly_progress = Some(needed);

    let due = if target_year > year {
        format!("{target_share} is due by {target_year}")
    } else {
        format!("{target_share} was due by {target_year}")
    };

    let Some(previous) = previous else {
        assessment.status = TargetStatus::NoTrend;
        assessment.explanation = format!(
            "{share}; {due}, {needed} a year needed; no share for {} to measure progress against",
            year - 1
        );
        return assessment;
    };
    let observed = share.minus(previous);
    assessment.observed_yearly_progress = Some(observed);

    let pace = observed.divided_by(needed);
    assessment.status = match pace {
        _ if observed.is_negative() => TargetStatus::Deterioration,
        // Nothing more is needed (the next milestone is already reached, though this year's
        // requirement is not): on track by definition.
        _ if needed <= Ratio::zero() => TargetStatus::OnTrack,
        Some(pace) if pace >= Ratio::from_basis_points(9_500) => TargetStatus::OnTrack,
        Some(pace) if pace >= Ratio::from_basis_points(6_000) => TargetStatus::AccelerationNeeded,
        _ => TargetStatus::LimitedProgress,
    };
    let pace_text = pace.map_or("-".to_string(), |pace| pace.to_string());
    assessment.explanation = format!(
        "{share}, {previous} in {}: {observed} a year against {needed} a year needed ({due}; pace {pace_text})",
        year - 1
    )
    .replace("-0.00%", "0.00%");
    assessment
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

    fn national_content() -> Vec<Milestone> {
        vec![
            milestone(2023, 3000),
            milestone(2024, 5000),
            milestone(2025, 7000),
            milestone(2030, 10_000),
        ]
    }

    fn share(numerator: i128, denominator: i128) -> Option<Ratio> {
        Ratio::new(numerator, denominator)
    }

    #[test]
    fn years_between_milestones_are_interpolated() {
        let required = requirement(&national_content(), 2027);
        // 70% in 2025 to 100% in 2030: 6 points a year, 82% in 2027.
        assert_eq!(required.required, share(82, 100));
        assert!(required.interpolated);
        assert_eq!(requirement(&national_content(), 2024).required, share(1, 2));
        assert_eq!(requirement(&national_content(), 2031).required, share(1, 1));
        assert_eq!(requirement(&national_content(), 2022).required, None);
    }

    #[test]
    fn each_status_follows_from_the_pace() {
        let milestones = national_content();
        let status = |now, before| assess(now, before, 2027, &milestones).status;
        // 2027 requires 82%; the next milestone is 100% in 2030.
        assert_eq!(
            status(share(82, 100), share(70, 100)),
            TargetStatus::Achieved
        );
        // At 70%, 30 points remain over 3 years: 10 a year needed.
        assert_eq!(
            status(share(70, 100), share(60, 100)),
            TargetStatus::OnTrack
        ); // 10/10
        assert_eq!(
            status(share(70, 100), share(6_050, 10_000)),
            TargetStatus::OnTrack
        ); // 9.5/10
        assert_eq!(
            status(share(70, 100), share(6_051, 10_000)),
            TargetStatus::AccelerationNeeded
        );
        assert_eq!(
            status(share(70, 100), share(64, 100)),
            TargetStatus::AccelerationNeeded
        ); // 6/10
        assert_eq!(
            status(share(70, 100), share(6_401, 10_000)),
            TargetStatus::LimitedProgress
        );
        assert_eq!(
            status(share(70, 100), share(70, 100)),
            TargetStatus::LimitedProgress
        ); // 0
        assert_eq!(
            status(share(70, 100), share(71, 100)),
            TargetStatus::Deterioration
        );
        assert_eq!(status(share(70, 100), None), TargetStatus::NoTrend);
        assert_eq!(status(None, share(70, 100)), TargetStatus::NoData);
    }

    #[test]
    fn a_share_past_the_next_milestone_but_short_of_this_year_is_on_track() {
        // A plan whose requirement falls after 2025 (as a revised plan may): 2026 requires an
        // interpolated 75%, the next milestone is 60% in 2027. At 70%, nothing more is needed.
        let milestones = vec![milestone(2025, 9000), milestone(2027, 6000)];
        let assessment = assess(share(70, 100), share(65, 100), 2026, &milestones);
        assert_eq!(assessment.requirement.required, share(75, 100));
        assert_eq!(assessment.needed_yearly_progress, share(-10, 100));
        assert_eq!(assessment.status, TargetStatus::OnTrack);
        // Falling is still a deterioration, whatever is needed.
        let falling = assess(share(70, 100), share(80, 100), 2026, &milestones);
        assert_eq!(falling.status, TargetStatus::Deterioration);
    }

    #[test]
    fn the_explanation_carries_the_figures() {
        let assessment = assess(share(70, 100), share(64, 100), 2027, &national_content());
        assert_eq!(assessment.observed_yearly_progress, share(6, 100));
        assert_eq!(assessment.needed_yearly_progress, share(10, 100));
        assert_eq!(
            assessment.next_milestone,
            Some((2030, Ratio::from_basis_points(10_000)))
        );
        assert_eq!(
            assessment.explanation,
            "70.00%, 64.00% in 2026: 6.00% a year against 10.00% a year needed (100.00% is due by 2030; pace 60.00%)"
        );
    }
}
