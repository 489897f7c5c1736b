//! The province's yearly report to the Ministry, rendered for people and for spreadsheets: a
//! self-contained HTML document (`html`) with a chart per target (`chart`), and a CSV of the
//! figures (`csv`).
//!
//! The renderers read a plain in-memory document, [`ProvinceReportDocument`], that whoever holds
//! the stored report fills in: nothing here knows about gRPC, the database or the catalogue, and
//! nothing here computes a target's figure, status or trend. Shares are fractions of one (0.5 is 50%) for display; the exact
//! figure is the numerator over the denominator.

mod chart;
mod csv;
mod document;
mod html;

pub use self::csv::render_csv;
pub use self::document::{
    FIRST_CHART_YEAR, HORIZON_YEAR, MaturityLevelCount, MaturityLevels, Milestone,
    MilestoneOutcome, Narrative, Outcome, OverdueTask, Projection, ProjectionPoint,
    ProvinceReportDocument, ReportStatus, ReportingStatusCounts, Signature, TargetFigure,
    TargetSection, TaskProgressCounts, YearShare,
};
pub use self::html::render_html;

/// A target's status in a year, as the summaries decide it.
pub use crate::domain::status::TargetStatus;

#[cfg(test)]
pub(crate) mod sample;
