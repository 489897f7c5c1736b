//! The values the province reports repository (`store::province_reports`) works with,
//! kept apart from it (see `store::values`).

/// A draft to write: a new version, or over the draft `replacing` if it still has the hash its
/// writer read.
#[derive(Debug, Clone)]
pub struct ProvinceReportDraft<'a> {
    pub province_code: &'a str,
    pub plan_code: &'a str,
    pub period_code: &'a str,
    pub version: i32,
    pub correction_reason: &'a str,
    pub content: Vec<u8>,
    pub data_as_of: i64,
    /// Who writes it, as the audit log names them.
    pub written_by: &'a str,
    /// The draft written over, and the hash it must still have; `None` for a new version.
    pub replacing: Option<(i64, &'a str)>,
}

/// Which versions to list.
#[derive(Debug, Clone, Default)]
pub struct ProvinceReportFilter<'a> {
    pub province_code: Option<&'a str>,
    pub plan_code: Option<&'a str>,
    pub period_code: Option<&'a str>,
    /// Leave drafts out.
    pub submitted_only: bool,
}
