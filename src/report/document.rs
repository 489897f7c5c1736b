//! The document the renderers read: one province's report to the Ministry for one period, as
//! plain values that whoever holds the stored report fills in.

use chrono::{DateTime, Utc};

use crate::domain::status::TargetStatus;

/// The last year the charts reach: the strategy's horizon ("định hướng đến năm 2030").
pub const HORIZON_YEAR: i32 = 2030;

/// The first year the charts show: the strategy (348/QĐ-TTg) and its yearly milestones start in
/// 2023. A document with earlier figures widens the axis.
pub const FIRST_CHART_YEAR: i32 = 2023;

/// One province's report to the Ministry for one period, against one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceReportDocument {
    /// The province's catalogue code ("ninh-binh-2025"), written to the CSV.
    pub province_code: String,
    /// The province's name as it signs ("Tỉnh Ninh Bình").
    pub province_name: String,
    /// The plan's catalogue code ("nam-dinh-cds-bao-chi"), written to the CSV.
    pub plan_code: String,
    /// The plan's full name, shown under the title.
    pub plan_name: String,
    /// The decision that issued the plan ("348/QĐ-TTg"); empty when unknown.
    pub plan_decision: String,
    /// The period's catalogue code ("2026"), written to the CSV.
    pub period_code: String,
    /// The period's year: the year of the figures and of the required shares.
    pub year: i32,
    /// Every target of the plan, in the plan's order.
    pub targets: Vec<TargetSection>,
    /// Who was expected to report for the period, and how their reports stand.
    pub reporting: ReportingStatusCounts,
    /// How many of the province's agencies reached each level of the maturity index, when some
    /// assessed themselves for the period under a framework governing it; `None` otherwise, and
    /// the page and the CSV are then as they were before the index was reported.
    pub maturity: Option<MaturityLevels>,
    /// How the plan's tasks stand in the province, when the plan has tasks followed in the
    /// period; `None` otherwise, and the page and the CSV are then as they were before tasks.
    pub tasks: Option<TaskProgressCounts>,
    /// What the province writes in its own words.
    pub narrative: Narrative,
    /// The facts that identify this version of the report.
    pub signature: Signature,
}

/// One target of the plan: this year's figure, the shares observed so far, the milestones and
/// where the trend leads.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSection {
    /// The target's code, the same in every plan ("converged_newsroom").
    pub code: String,
    /// The target's name as the plan words it.
    pub name: String,
    /// The report year's figure.
    pub figure: TargetFigure,
    /// The share observed in each year so far, oldest first, the report's year included.
    pub history: Vec<YearShare>,
    /// The plan's milestones for this target, by year.
    pub milestones: Vec<Milestone>,
    /// A straight-line trend of `history` continued to the horizon.
    pub projection: Projection,
}

/// A target's figure for the report's year, as the summary computed it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFigure {
    /// Agencies (or people) meeting the target.
    pub numerator: i64,
    /// Agencies (or people) counted: the share's whole.
    pub denominator: i64,
    /// numerator / denominator; `None` when there is no share (nobody reported, or the
    /// denominator is 0).
    pub share: Option<f64>,
    /// The share required this year (a milestone's, or interpolated between two); `None` before
    /// the first milestone.
    pub required_share: Option<f64>,
    /// The target's status this year.
    pub status: TargetStatus,
    /// Why the status is what it is, with the figures behind it, as the summary words it.
    pub explanation: String,
}

/// A target's share observed in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearShare {
    pub year: i32,
    /// Agencies (or people) meeting the target that year.
    pub numerator: i64,
    /// Agencies (or people) counted that year.
    pub denominator: i64,
    /// numerator / denominator; `None` when there was no share that year.
    pub share: Option<f64>,
    /// The share required that year; `None` before the first milestone, and for an earlier
    /// year whose requirement the stored report does not state (its summaries carry each earlier
    /// year's share, not what was required then). Shown as "—", never worked out here.
    pub required_share: Option<f64>,
    /// The target's status that year; `None` when the stored report does not state it (an
    /// earlier year: the summaries decide a status for the report's year only).
    pub status: Option<TargetStatus>,
}

/// A share the plan requires by a year (2025: 0.7).
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub year: i32,
    pub required_share: f64,
}

/// Where a straight-line trend of the observed shares leads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Projection {
    /// The projected share of each year after the last observed one, up to the horizon, oldest
    /// first; empty when there are too few years to draw a trend.
    pub points: Vec<ProjectionPoint>,
    /// One per milestone, in the milestones' order.
    pub outcomes: Vec<MilestoneOutcome>,
}

/// The trend's share in a future year.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionPoint {
    pub year: i32,
    /// The share the trend reaches that year. The chart clamps it to 0-100%; the CSV writes it as
    /// given.
    pub share: f64,
}

/// What the figures say about one milestone.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneOutcome {
    /// The milestone's year.
    pub year: i32,
    /// The milestone's required share.
    pub required_share: f64,
    pub outcome: Outcome,
    /// The year the trend reaches the required share, as the summary states it (searched up to
    /// 2100, so possibly past the horizon; for a milestone missed: when it will be caught up);
    /// `None` when it never does, when there is no trend, or when nobody said.
    pub projected_year: Option<i32>,
}

/// A milestone's outcome: decided for a milestone whose year has been observed, projected for
/// one still ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its year was observed and the share met it.
    Met,
    /// Its year was observed and the share fell short.
    Missed,
    /// Still ahead, and the trend reaches it by its year.
    OnPace,
    /// Still ahead, and the trend does not reach it by its year.
    OffPace,
    /// Still ahead, and fewer years were observed than a trend needs.
    TooFewYears,
    /// Its year is past (or is the report's) and has no share to judge it by.
    NoData,
}

/// The agencies expected to report for the period, and where their reports stand.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportingStatusCounts {
    /// Agencies expected to report.
    pub expected: u32,
    /// Of those, the ones whose first report arrived by the deadline.
    pub received_on_time: u32,
    /// The ones whose first report arrived after it.
    pub received_late: u32,
    /// The ones that have not reported.
    pub missing: u32,
    /// Reports received that the department has not reviewed yet.
    pub awaiting_review: u32,
    /// Reports the department accepted.
    pub accepted: u32,
    /// Reports the department sent back for correction.
    pub returned: u32,
}

/// The maturity levels the province's agencies reached, from their self-assessments' final
/// scores, as the results computed them.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityLevels {
    /// The framework governing the period ("V2024").
    pub framework_code: String,
    /// The province's agencies with a self-assessment for the period.
    pub assessed: u32,
    /// Those without one.
    pub missing: u32,
    /// Every level of the framework, weakest first.
    pub levels: Vec<MaturityLevelCount>,
}

/// The agencies that reached one maturity level.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityLevelCount {
    /// 1 for the weakest.
    pub rank: u32,
    /// Such as "Xuất sắc".
    pub name: String,
    pub agencies: u32,
}

/// The lines of the plan's tasks in the province (a task led by every agency is one line per
/// agency) by status, and the overdue ones, as the follow-up computed them on `as_of`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskProgressCounts {
    /// The day lateness was counted on ("2026-12-01").
    pub as_of: String,
    pub not_started: u32,
    pub in_progress: u32,
    pub done: u32,
    pub cancelled: u32,
    /// Most days late first.
    pub overdue: Vec<OverdueTask>,
}

impl TaskProgressCounts {
    pub fn lines(&self) -> u32 {
        self.not_started + self.in_progress + self.done + self.cancelled
    }
}

/// One overdue line: a task, its lead, and how late.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueTask {
    pub task_code: String,
    pub task_name: String,
    pub lead_name: String,
    pub due_on: String,
    pub days_late: u32,
}

/// The province's own words, free text. Paragraphs are separated by blank lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Narrative {
    /// Kết quả thực hiện: what was done.
    pub results: String,
    /// Khó khăn, vướng mắc: difficulties and obstacles.
    pub difficulties: String,
    /// Đề xuất, kiến nghị: proposals to the Ministry.
    pub proposals: String,
}

/// Whether the report was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// Still being written: the page carries a "BẢN NHÁP" marking.
    Draft,
    /// Sent to the Ministry.
    Submitted,
}

/// The facts that identify this version of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The report's version number, from 1.
    pub version: u32,
    pub status: ReportStatus,
    /// When it was sent; `None` for a draft.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who sent it; empty for a draft.
    pub submitted_by: String,
    /// The SHA-256 of the report's content, as the server writes it ("sha256:" and lowercase
    /// hex).
    pub content_hash: String,
    /// The change-feed position the figures are as of: every submission at or before it, none
    /// after.
    pub data_as_of: i64,
    /// Why this version corrects the one submitted before it; empty for the first version.
    pub correction_reason: String,
    /// Whether the figures count only the reports the province had accepted (otherwise every
    /// agency's latest report received).
    pub accepted_only: bool,
}
