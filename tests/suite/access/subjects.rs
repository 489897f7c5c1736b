//! What the access tests ask about: one plan, target and period, and the agency and scope the
//! table's calls read.

pub(super) const PLAN: &str = "national-348-qd-ttg";
pub(super) const TARGET: &str = "content_on_digital_platforms";
pub(super) const PERIOD: &str = "2024";
/// The agency whose report the table's calls submit and read. It absorbed no other agency, so its
/// scope holds itself alone.
pub(super) const AGENCY: &str = "bao-ha-nam";
/// The scope of the summary calls in the table.
pub(super) const SCOPE: &str = "agency:bao-ha-nam";
