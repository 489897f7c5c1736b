//! What the province report workflows are asked: a draft, a narrative change, a list.

/// A draft as CreateProvinceReport asks it.
pub struct DraftAsked<'a> {
    pub plan_code: &'a str,
    pub period_code: &'a str,
    /// Empty for the caller's own province.
    pub province_code: &'a str,
    pub correction_reason: &'a str,
    /// Only the reports whose latest revision the province accepted.
    pub accepted_only: bool,
    /// The change-feed position the figures must include.
    pub min_data_as_of: i64,
}

/// What UpdateProvinceReportNarrative changes: the sections given.
pub struct NarrativeChange {
    pub results: Option<String>,
    pub difficulties: Option<String>,
    pub proposals: Option<String>,
}

/// Which reports a ListProvinceReports asks for: each filter `None` when not given.
pub struct ReportsAsked<'a> {
    pub province_code: Option<&'a str>,
    pub plan_code: Option<&'a str>,
    pub period_code: Option<&'a str>,
    /// The id the page resumes after (0 from the start).
    pub after_id: i64,
    pub page_size: u64,
}
