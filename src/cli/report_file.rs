//! The report file `pressdx submit` reads: TOML or JSON with the agency, the period, an optional
//! request id, and the report itself, field for field as in `proto/pressdx/v1/report.proto`.
//! `pressdx import` reads the same, and also a JSON Lines file of them, one report a line. A
//! province or the Ministry entering a report received before pressdx adds `received_at`, the
//! instant it was originally received (RFC 3339, such as "2024-11-10T09:30:00+07:00").

use std::path::Path;

use serde::Deserialize;

use crate::api::convert::{report_to_proto, timestamp};
use crate::domain::report::AnnualReport;
use crate::proto::SubmitReportRequest;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFile {
    pub agency: String,
    pub period: String,
    pub request_id: Option<String>,
    pub received_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub report: AnnualReport,
}

impl ReportFile {
    /// Reads a `.json` file as JSON and anything else as TOML.
    pub fn read(path: &Path) -> Result<ReportFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let is_json = path
            .extension()
            .is_some_and(|extension| extension == "json");
        let read = if is_json {
            ReportFile::from_json(&text)
        } else {
            toml::from_str(&text).map_err(|error| error.to_string())
        };
        read.map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Reads a report file's content written as JSON.
    pub fn from_json(text: &str) -> Result<ReportFile, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// The request to send. Without a request id in the file or on the command line, the id is
    /// derived from the content, so that sending the same file twice stores it once.
    pub fn into_request(
        self,
        request_id: Option<String>,
        validate_only: bool,
    ) -> SubmitReportRequest {
        let content_hash = self.report.content_hash(&self.agency, &self.period);
        let request_id = request_id.or(self.request_id).unwrap_or_else(|| {
            let digest = content_hash.trim_start_matches("sha256:");
            format!("cli-{}", &digest[..32.min(digest.len())])
        });
        SubmitReportRequest {
            request_id,
            agency_code: self.agency,
            period_code: self.period,
            report: Some(report_to_proto(&self.report)),
            validate_only,
            received_at: self
                .received_at
                .map(|instant| timestamp(instant.with_timezone(&chrono::Utc))),
        }
    }
}
