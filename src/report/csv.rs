//! The report's figures as CSV, for spreadsheets: one row per target, year and kind of figure
//! (observed, projected, milestone), in the plan's order of targets, then by year. When the
//! report holds the maturity index's levels, one row per level follows, weakest first: target
//! code "maturity_level:RANK", the level's name, the report's year, kind "maturity_level", the
//! agencies reaching it over the agencies assessed. When it holds the plan's tasks, one row per
//! status follows (target code "task_status:STATUS", kind "task_status", the lines in that status
//! over all lines), then one of the overdue lines (target code "task_overdue", kind
//! "task_overdue"), each of the report's year.
//!
//! Shares are fractions of one written with six decimals (0.666667): every milestone, which the
//! catalogue keeps in basis points, comes out exact, and an observed share is off by at most
//! 0.00005 percentage points; the numerator and denominator beside it give it exactly.

use std::error::Error;

use super::document::{Outcome, ProvinceReportDocument, TargetSection};
use crate::domain::status::TargetStatus;

const HEADER: [&str; 12] = [
    "province",
    "plan",
    "period",
    "target_code",
    "target_name",
    "year",
    "kind",
    "share",
    "numerator",
    "denominator",
    "required_share",
    "status",
];

/// The report's figures as CSV text, with a header row.
pub fn render_csv(document: &ProvinceReportDocument) -> String {
    write_csv(document)
        .unwrap_or_else(|error| unreachable!("CSV written to memory cannot fail: {error}"))
}

fn write_csv(document: &ProvinceReportDocument) -> Result<String, Box<dyn Error>> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for target in &document.targets {
        for row in target_rows(target) {
            writer.write_record([
                document.province_code.as_str(),
                document.plan_code.as_str(),
                document.period_code.as_str(),
                target.code.as_str(),
                target.name.as_str(),
                &row.year.to_string(),
                row.kind.name(),
                &optional_share(row.share),
                &row.counts
                    .map(|(numerator, _)| numerator.to_string())
                    .unwrap_or_default(),
                &row.counts
                    .map(|(_, denominator)| denominator.to_string())
                    .unwrap_or_default(),
                &optional_share(row.required_share),
                row.status,
            ])?;
        }
    }
    if let Some(maturity) = &document.maturity {
        for level in &maturity.levels {
            let share = (maturity.assessed > 0)
                .then(|| f64::from(level.agencies) / f64::from(maturity.assessed));
            writer.write_record([
                document.province_code.as_str(),
                document.plan_code.as_str(),
                document.period_code.as_str(),
                &format!("maturity_level:{}", level.rank),
                level.name.as_str(),
                &document.year.to_string(),
                "maturity_level",
                &optional_share(share),
                &level.agencies.to_string(),
                &maturity.assessed.to_string(),
                "",
                "",
            ])?;
        }
    }
    if let Some(tasks) = &document.tasks {
        let lines = tasks.lines();
        let overdue = u32::try_from(tasks.overdue.len()).unwrap_or(u32::MAX);
        for (code, name, count, kind) in [
            (
                "task_status:not_started",
                "Chưa triển khai",
                tasks.not_started,
                "task_status",
            ),
            (
                "task_status:in_progress",
                "Đang triển khai",
                tasks.in_progress,
                "task_status",
            ),
            (
                "task_status:done",
                "Đã hoàn thành",
                tasks.done,
                "task_status",
            ),
            (
                "task_status:cancelled",
                "Dừng thực hiện",
                tasks.cancelled,
                "task_status",
            ),
            ("task_overdue", "Quá hạn", overdue, "task_overdue"),
        ] {
            let share = (lines > 0).then(|| f64::from(count) / f64::from(lines));
            writer.write_record([
                document.province_code.as_str(),
                document.plan_code.as_str(),
                document.period_code.as_str(),
                code,
                name,
                &document.year.to_string(),
                kind,
                &optional_share(share),
                &count.to_string(),
                &lines.to_string(),
                "",
                "",
            ])?;
        }
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// What a row's figure is. The order is the order of rows within a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A share observed.
    Observed,
    /// A share the trend leads to.
    Projected,
    /// A share the plan requires.
    Milestone,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Observed => "observed",
            Kind::Projected => "projected",
            Kind::Milestone => "milestone",
        }
    }
}

struct Row {
    year: i32,
    kind: Kind,
    share: Option<f64>,
    /// Observed rows only.
    counts: Option<(i64, i64)>,
    required_share: Option<f64>,
    /// Observed rows: the target's status that year (empty when the report does not state it);
    /// milestone rows: the milestone's outcome.
    status: &'static str,
}

fn target_rows(target: &TargetSection) -> Vec<Row> {
    let observed = target.history.iter().map(|year| Row {
        year: year.year,
        kind: Kind::Observed,
        share: year.share,
        counts: Some((year.numerator, year.denominator)),
        required_share: year.required_share,
        status: year.status.map_or("", status_code),
    });
    let projected = target.projection.points.iter().map(|point| Row {
        year: point.year,
        kind: Kind::Projected,
        share: Some(point.share),
        counts: None,
        required_share: None,
        status: "",
    });
    let milestones = target.milestones.iter().map(|milestone| Row {
        year: milestone.year,
        kind: Kind::Milestone,
        share: None,
        counts: None,
        required_share: Some(milestone.required_share),
        status: target
            .projection
            .outcomes
            .iter()
            .find(|outcome| outcome.year == milestone.year)
            .map_or("", |outcome| outcome_code(outcome.outcome)),
    });
    let mut rows: Vec<Row> = observed.chain(projected).chain(milestones).collect();
    rows.sort_by_key(|row| (row.year, row.kind));
    rows
}

fn optional_share(share: Option<f64>) -> String {
    share.map(|share| format!("{share:.6}")).unwrap_or_default()
}

/// A status as the proto spells its values, without the `TARGET_STATUS_` prefix, in lower case.
fn status_code(status: TargetStatus) -> &'static str {
    match status {
        TargetStatus::Achieved => "achieved",
        TargetStatus::OnTrack => "on_track",
        TargetStatus::AccelerationNeeded => "acceleration_needed",
        TargetStatus::LimitedProgress => "limited_progress",
        TargetStatus::Deterioration => "deterioration",
        TargetStatus::NoData => "no_data",
        TargetStatus::NoTrend => "no_trend",
    }
}

fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Met => "met",
        Outcome::Missed => "missed",
        Outcome::OnPace => "on_pace",
        Outcome::OffPace => "off_pace",
        Outcome::TooFewYears => "too_few_years",
        Outcome::NoData => "no_data",
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    /// A one-target document small enough to write its CSV out by hand, without maturity levels.
    fn small_document() -> ProvinceReportDocument {
        let mut document = sample::sample_document(ReportStatus::Submitted);
        document.maturity = None;
        document.tasks = None;
        document.targets = vec![TargetSection {
            code: "converged_newsroom".into(),
            name: "Agencies operating a converged newsroom, \"hội tụ\"".into(),
            figure: TargetFigure {
                numerator: 2,
                denominator: 3,
                share: Some(2.0 / 3.0),
                required_share: Some(0.6),
                status: TargetStatus::Achieved,
                explanation: String::new(),
            },
            history: vec![
                YearShare {
                    year: 2025,
                    numerator: 1,
                    denominator: 3,
                    share: Some(1.0 / 3.0),
                    required_share: Some(0.5),
                    status: Some(TargetStatus::NoTrend),
                },
                YearShare {
                    year: 2026,
                    numerator: 2,
                    denominator: 3,
                    share: Some(2.0 / 3.0),
                    required_share: Some(0.6),
                    status: Some(TargetStatus::Achieved),
                },
            ],
            milestones: vec![
                Milestone {
                    year: 2025,
                    required_share: 0.5,
                },
                Milestone {
                    year: 2030,
                    required_share: 1.0,
                },
            ],
            projection: Projection {
                points: vec![
                    ProjectionPoint {
                        year: 2027,
                        share: 1.0,
                    },
                    ProjectionPoint {
                        year: 2028,
                        share: 1.0,
                    },
                ],
                outcomes: vec![
                    MilestoneOutcome {
                        year: 2025,
                        required_share: 0.5,
                        outcome: Outcome::Missed,
                        projected_year: Some(2026),
                    },
                    MilestoneOutcome {
                        year: 2030,
                        required_share: 1.0,
                        outcome: Outcome::OnPace,
                        projected_year: Some(2027),
                    },
                ],
            },
        }];
        document
    }

    #[test]
    fn the_csv_has_a_row_per_target_year_and_kind() {
        let expected = "\
province,plan,period,target_code,target_name,year,kind,share,numerator,denominator,required_share,status
ninh-binh-2025,nam-dinh-cds-bao-chi,2026,converged_newsroom,\"Agencies operating a converged newsroom, \"\"hội tụ\"\"\",2025,observed,0.333333,1,3,0.500000,no_trend
ninh-binh-2025,nam-dinh-cds-bao-chi,2026,converged_newsroom,\"Agencies operating a converged newsroom, \"\"hội tụ\"\"\",2025,milestone,,,,0.500000,missed
ninh-binh-2025,nam-dinh-cds-bao-chi,2026,converged_newsroom,\"Agencies operating a converged newsroom, \"\"hội tụ\"\"\",2026,observed,0.666667,2,3,0.600000,achieved
ninh-binh-2025,nam-dinh-cds-bao-chi,2026,converged_newsroom,\"Agencies operating a converged newsroom, \"\"hội tụ\"\"\",2027,projected,1.000000,,,,
ninh-binh-2025,nam-dinh-cds-bao-chi,2026,converged_newsroom,\"Agencies operating a converged newsroom, \"\"hội tụ\"\"\",2028,projected,1.000000,,,,
ninh-binh-2025,nam-dinh-cds-bao-chi,2026,converged_newsroom,\"Agencies operating a converged newsroom, \"\"hội tụ\"\"\",2030,milestone,,,,1.000000,on_pace
";
        assert_eq!(render_csv(&small_document()), expected);
    }

    #[test]
    fn a_year_without_a_share_leaves_the_share_empty() {
        let mut document = small_document();
        let history = &mut document.targets[0].history;
        history.truncate(1);
        history[0] = YearShare {
            year: 2025,
            numerator: 0,
            denominator: 0,
            share: None,
            required_share: None,
            status: Some(TargetStatus::NoData),
        };
        let csv = render_csv(&document);
        assert!(csv.contains(",2025,observed,,0,0,,no_data\n"), "{csv}");
    }

    #[test]
    fn an_earlier_year_without_a_stated_requirement_or_status_leaves_them_empty() {
        let mut document = small_document();
        let earlier = &mut document.targets[0].history[0];
        earlier.required_share = None;
        earlier.status = None;
        let csv = render_csv(&document);
        assert!(csv.contains(",2025,observed,0.333333,1,3,,\n"), "{csv}");
    }

    #[test]
    fn maturity_levels_follow_the_targets_one_row_each() {
        let mut document = small_document();
        let level = |rank: u32, name: &str, agencies: u32| MaturityLevelCount {
            rank,
            name: name.into(),
            agencies,
        };
        // Three assessed: one Weak (1/3), two Fair (2/3), none Good.
        document.maturity = Some(MaturityLevels {
            framework_code: "V2024".into(),
            assessed: 3,
            missing: 1,
            levels: vec![level(1, "Yếu", 1), level(2, "Khá", 2), level(3, "Tốt", 0)],
        });
        let csv = render_csv(&document);
        let rows: Vec<&str> = csv.lines().skip(1 + 6).collect();
        assert_eq!(
            rows,
            [
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,maturity_level:1,Yếu,2026,maturity_level,0.333333,1,3,,",
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,maturity_level:2,Khá,2026,maturity_level,0.666667,2,3,,",
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,maturity_level:3,Tốt,2026,maturity_level,0.000000,0,3,,",
            ]
        );
    }

    #[test]
    fn task_counts_follow_one_row_per_status_then_the_overdue() {
        let mut document = small_document();
        // Four lines: one not started, one in progress, two done; two of them overdue.
        document.tasks = Some(TaskProgressCounts {
            as_of: "2026-12-01".into(),
            not_started: 1,
            in_progress: 1,
            done: 2,
            cancelled: 0,
            overdue: vec![
                OverdueTask {
                    task_code: "T3".into(),
                    task_name: "a newsroom".into(),
                    lead_name: "Báo".into(),
                    due_on: "2026-09-30".into(),
                    days_late: 62,
                };
                2
            ],
        });
        let csv = render_csv(&document);
        let rows: Vec<&str> = csv.lines().skip(1 + 6).collect();
        assert_eq!(
            rows,
            [
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,task_status:not_started,Chưa triển khai,2026,task_status,0.250000,1,4,,",
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,task_status:in_progress,Đang triển khai,2026,task_status,0.250000,1,4,,",
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,task_status:done,Đã hoàn thành,2026,task_status,0.500000,2,4,,",
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,task_status:cancelled,Dừng thực hiện,2026,task_status,0.000000,0,4,,",
                "ninh-binh-2025,nam-dinh-cds-bao-chi,2026,task_overdue,Quá hạn,2026,task_overdue,0.500000,2,4,,",
            ]
        );
    }

    #[test]
    fn the_sample_has_every_target_observed_each_year() {
        let csv = render_csv(&sample::sample_document(ReportStatus::Draft));
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(HEADER.join(",").as_str()));
        let observed = lines.filter(|line| line.contains(",observed,")).count();
        assert_eq!(observed, 6 * 4);
    }
}
