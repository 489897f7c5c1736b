//! A submission: which agency reports for which period, under which request id. Checks everything
//! about it at once and yields a [`ValidSubmission`] that cannot be wrong.

use chrono::{DateTime, Utc};

use super::catalog::Catalog;
use super::formats::parse_request_id;
use super::indicator::Indicator;
use super::naming::{did_you_mean, echo};
use super::organization::{Organization, OrganizationKind};
use super::period::{Period, vietnam_time};
use super::plausibility::Warning;
use super::report::{AnnualReport, check_report};
use super::violation::{FieldViolation, Violations};

/// A submission as it arrived, nothing checked yet.
#[derive(Debug, Clone)]
pub struct SubmissionDraft {
    pub request_id: String,
    pub agency_code: String,
    pub period_code: String,
    pub report: Option<AnnualReport>,
    /// Who sent it, as the audit log names them.
    pub submitted_by: String,
    /// Sent by a province or the Ministry for the agency, rather than by the agency itself.
    pub on_behalf: bool,
    /// When the report was originally received, as a province or the Ministry asserts it for a
    /// report that came before pressdx (a paper report, an import of history).
    pub asserted_received_at: Option<DateTime<Utc>>,
}

/// What the catalogue says about a draft's agency and period, looked up by the caller.
pub struct SubmissionContext<'a> {
    pub period: Option<&'a Period>,
    pub agency: Option<&'a Organization>,
    pub indicators: &'a [Indicator],
    /// The whole catalogue, if at hand: to name the closest codes to an unknown one.
    pub known: Option<&'a Catalog>,
    /// The server's clock as the request arrived: an asserted receipt time may not be later.
    pub now: DateTime<Utc>,
}

/// A submission that keeps every rule; only [`check_submission`] makes one.
#[derive(Debug, Clone)]
pub struct ValidSubmission {
    pub request_id: String,
    pub agency_code: String,
    pub period: Period,
    pub report: AnnualReport,
    pub content_hash: String,
    pub submitted_by: String,
    pub on_behalf: bool,
    pub asserted_received_at: Option<DateTime<Utc>>,
    /// Plausibility warnings (domain::plausibility): never a refusal, stored with the revision.
    /// [`check_submission`] leaves it empty; the caller, who has the previous period's report at
    /// hand, fills it in.
    pub warnings: Vec<Warning>,
}

impl ValidSubmission {
    /// When the report counts as received: the asserted time if there is one, else `now`.
    pub fn received_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.asserted_received_at.unwrap_or(now)
    }
}

/// Why a submission was refused: the machine-readable reason and every field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: RejectionReason,
    pub violations: Vec<FieldViolation>,
}

/// The one-word reason a refusal gives (google.rpc.ErrorInfo.reason), the gravest that applies,
/// in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RejectionReason {
    UnknownPeriod,
    UnknownAgency,
    NotAPressAgency,
    AgencyNotInPeriod,
    /// A required field of the request left empty (request_id, agency_code, period_code,
    /// report): graver than a report breaking a rule, lighter than a code the catalogue does not
    /// have, which says more about what went wrong.
    RequestInvalid,
    ReportInvalid,
}

impl RejectionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionReason::RequestInvalid => "REQUEST_INVALID",
            RejectionReason::UnknownPeriod => "UNKNOWN_PERIOD",
            RejectionReason::UnknownAgency => "UNKNOWN_AGENCY",
            RejectionReason::NotAPressAgency => "NOT_A_PRESS_AGENCY",
            RejectionReason::AgencyNotInPeriod => "AGENCY_NOT_IN_PERIOD",
            RejectionReason::ReportInvalid => "REPORT_INVALID",
        }
    }
}

/// Checks every rule a submission must keep and reports every violation at once.
pub fn check_submission(
    draft: SubmissionDraft,
    context: &SubmissionContext<'_>,
) -> Result<ValidSubmission, Rejection> {
    let mut violations = Violations::new();
    let mut reason = RejectionReason::ReportInvalid;
    let mut refuse = |violations: &mut Violations, why, field: &str, description: String| {
        reason = reason.min(why);
        violations.add(field, description);
    };

    let request_id = match parse_request_id(&draft.request_id) {
        Ok(request_id) => request_id,
        Err(why) => {
            // Left empty, the request is incomplete; too long, it breaks a rule.
            let reason = if draft.request_id.trim().is_empty() {
                RejectionReason::RequestInvalid
            } else {
                RejectionReason::ReportInvalid
            };
            refuse(&mut violations, reason, "request_id", why);
            ""
        }
    };

    if let Some(asserted) = draft.asserted_received_at {
        let shown = asserted.with_timezone(&vietnam_time()).to_rfc3339();
        if asserted > context.now {
            refuse(
                &mut violations,
                RejectionReason::ReportInvalid,
                "received_at",
                format!(
                    "{shown} is in the future: a receipt time is asserted only for a report received before"
                ),
            );
        } else if let Some(period) = context.period
            && asserted.with_timezone(&vietnam_time()).date_naive() < period.window_start
        {
            refuse(
                &mut violations,
                RejectionReason::ReportInvalid,
                "received_at",
                format!(
                    "{shown} is before period {}'s data window starts ({}): no report for it existed yet",
                    period.code, period.window_start
                ),
            );
        }
    }

    if context.period.is_none() {
        let (why, description) = if draft.period_code.is_empty() {
            (RejectionReason::RequestInvalid, "required".to_string())
        } else {
            let known = context.known.map(|catalog| {
                let codes = catalog.periods.iter().map(|period| period.code.as_str());
                did_you_mean(&draft.period_code, codes)
            });
            let description = format!(
                "no reporting period {}{}",
                echo(&draft.period_code),
                known.unwrap_or_default()
            );
            (RejectionReason::UnknownPeriod, description)
        };
        refuse(&mut violations, why, "period_code", description);
    }

    match context.agency {
        None => {
            let (why, description) = if draft.agency_code.is_empty() {
                (RejectionReason::RequestInvalid, "required".to_string())
            } else {
                let known = context.known.map(|catalog| {
                    let agencies = catalog
                        .organizations
                        .iter()
                        .filter(|organization| organization.kind == OrganizationKind::PressAgency)
                        .map(|organization| organization.code.as_str());
                    did_you_mean(&draft.agency_code, agencies)
                });
                let description = format!(
                    "no organisation {}{}",
                    echo(&draft.agency_code),
                    known.unwrap_or_default()
                );
                (RejectionReason::UnknownAgency, description)
            };
            refuse(&mut violations, why, "agency_code", description);
        }
        Some(agency) if agency.kind != OrganizationKind::PressAgency => refuse(
            &mut violations,
            RejectionReason::NotAPressAgency,
            "agency_code",
            format!("{:?} is a {}, not a press agency", agency.code, agency.kind),
        ),
        Some(agency) => {
            if let Some(period) = context.period
                && !agency.exists_on(period.reference_date())
            {
                refuse(
                    &mut violations,
                    RejectionReason::AgencyNotInPeriod,
                    "agency_code",
                    format!(
                        "{:?} does not exist on {}, the reference date of period {}{}",
                        agency.code,
                        period.reference_date(),
                        period.code,
                        lifetime_in_words(agency),
                    ),
                );
            }
        }
    }

    match &draft.report {
        None => refuse(
            &mut violations,
            RejectionReason::RequestInvalid,
            "report",
            "required".into(),
        ),
        Some(report) => check_report(report, context.indicators, "report", &mut violations),
    }

    let (Some(period), Some(report)) = (context.period, draft.report) else {
        return Err(Rejection {
            reason,
            violations: violations.into_result(()).err().unwrap_or_default(),
        });
    };
    let content_hash = report.content_hash(&draft.agency_code, &period.code);
    violations
        .into_result(ValidSubmission {
            request_id: request_id.to_string(),
            agency_code: draft.agency_code,
            period: period.clone(),
            report,
            content_hash,
            submitted_by: draft.submitted_by,
            on_behalf: draft.on_behalf,
            asserted_received_at: draft.asserted_received_at,
            warnings: Vec::new(),
        })
        .map_err(|violations| Rejection { reason, violations })
}

fn lifetime_in_words(agency: &Organization) -> String {
    match (agency.valid_from, agency.valid_until) {
        (Some(from), Some(until)) => format!(" (it exists from {from} until {until})"),
        (None, Some(until)) => format!(" (it exists until {until})"),
        (Some(from), None) => format!(" (it exists from {from})"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::organization::OrganizationVersion;
    use crate::domain::report::tests::{complete_report, indicators};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn period(year: i32) -> Period {
        Period {
            code: year.to_string(),
            year,
            window_start: NaiveDate::from_ymd_opt(year - 1, 12, 15).unwrap(),
            window_end: NaiveDate::from_ymd_opt(year, 12, 14).unwrap(),
            deadline: Utc.with_ymd_and_hms(year, 11, 14, 17, 0, 0).unwrap(),
            closes_at: None,
        }
    }

    fn agency_until(until: &str) -> Organization {
        Organization {
            code: "bao-nam-dinh".into(),
            kind: OrganizationKind::PressAgency,
            valid_from: None,
            valid_until: Some(until.parse().unwrap()),
            versions: vec![OrganizationVersion {
                valid_from: None,
                valid_until: Some(until.parse().unwrap()),
                name: "Báo Nam Định".into(),
                province_code: Some("nam-dinh".into()),
                governing_body_code: None,
                agency_type: None,
                publishes_electronic_press: true,
            }],
            illustrative: false,
            note: String::new(),
        }
    }

    fn draft() -> SubmissionDraft {
        SubmissionDraft {
            request_id: "r-1".into(),
            agency_code: "bao-nam-dinh".into(),
            period_code: "2024".into(),
            report: Some(complete_report()),
            submitted_by: "agency bao-nam-dinh (credential 1)".into(),
            on_behalf: false,
            asserted_received_at: None,
        }
    }

    #[test]
    fn a_merged_agency_reports_for_periods_before_its_merger_only() {
        let agency = agency_until("2025-07-01");
        let indicators = indicators();
        let (p2024, p2025) = (period(2024), period(2025));
        let context = |period| SubmissionContext {
            period: Some(period),
            agency: Some(&agency),
            indicators: &indicators,
            known: None,
            now: Utc::now(),
        };
        assert!(check_submission(draft(), &context(&p2024)).is_ok());
        let rejection = check_submission(draft(), &context(&p2025)).unwrap_err();
        assert_eq!(rejection.reason, RejectionReason::AgencyNotInPeriod);
        assert_eq!(rejection.violations[0].field, "agency_code");
    }

    #[test]
    fn unknown_agency_period_and_missing_request_id_come_back_together() {
        let indicators = indicators();
        let context = SubmissionContext {
            period: None,
            agency: None,
            indicators: &indicators,
            known: None,
            now: Utc::now(),
        };
        let mut draft = draft();
        draft.request_id = "  ".into();
        let rejection = check_submission(draft, &context).unwrap_err();
        assert_eq!(rejection.reason, RejectionReason::UnknownPeriod);
        let fields: Vec<_> = rejection
            .violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["request_id", "period_code", "agency_code"]);
    }

    /// A request that leaves its fields empty is incomplete, not about an unknown period: every
    /// field is named, and the reason is the generic one.
    #[test]
    fn an_empty_request_is_refused_as_a_request_naming_every_field() {
        let indicators = indicators();
        let context = SubmissionContext {
            period: None,
            agency: None,
            indicators: &indicators,
            known: None,
            now: Utc::now(),
        };
        let empty = SubmissionDraft {
            request_id: String::new(),
            agency_code: String::new(),
            period_code: String::new(),
            report: None,
            ..draft()
        };
        let rejection = check_submission(empty, &context).unwrap_err();
        assert_eq!(rejection.reason, RejectionReason::RequestInvalid);
        assert_eq!(rejection.reason.as_str(), "REQUEST_INVALID");
        let fields: Vec<_> = rejection
            .violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["request_id", "period_code", "agency_code", "report"]
        );
        // A missing request id beside a report that breaks a rule: the request is incomplete.
        let mut draft = draft();
        draft.request_id = String::new();
        draft.report.as_mut().unwrap().revenue_vnd = Some(-1);
        let p2024 = period(2024);
        let agency = agency_until("2026-01-01");
        let context = SubmissionContext {
            period: Some(&p2024),
            agency: Some(&agency),
            ..context
        };
        let rejection = check_submission(draft, &context).unwrap_err();
        assert_eq!(rejection.reason, RejectionReason::RequestInvalid);
    }
}
