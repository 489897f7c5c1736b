//! The values the reopenings repository (`store::reopenings`) works with,
//! kept apart from it (see `store::values`).

use chrono::{DateTime, Utc};

/// What a province asks for.
#[derive(Debug, Clone)]
pub struct NewReopening<'a> {
    pub agency_code: &'a str,
    pub period_code: &'a str,
    pub until: DateTime<Utc>,
    pub reason: &'a str,
    pub reopened_by: &'a str,
}
