//! `pressdx review`: the province's checks on its agencies' reports, over ReviewService.

use std::io::{self, Write};
use std::process::ExitCode;

use super::client::connect;
use super::diagnosis::call_failed;
use super::tokens::parse_instant;
use super::{CliResult, EXIT_REFUSED};
use crate::api::convert::{instant, timestamp};
use crate::config::ServerArgs;
use crate::domain::period::vietnam_time;
use crate::proto::review_service_client::ReviewServiceClient;
use crate::proto::{ReopenPeriodRequest, ReviewDecision, ReviewReason, ReviewSubmissionRequest};

/// `pressdx review reopen`: reopens a closed period for one agency, and prints the reopening.
pub async fn reopen(
    agency: &str,
    period: &str,
    until: &str,
    reason: &str,
    server: &ServerArgs,
) -> CliResult {
    let until = match parse_instant(until) {
        Ok(until) => until,
        Err(message) => {
            eprintln!("--until: {message}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    let mut client = ReviewServiceClient::new(connect(server).await?);
    let reopening = client
        .reopen_period(ReopenPeriodRequest {
            agency_code: agency.to_string(),
            period_code: period.to_string(),
            until: Some(timestamp(until)),
            reason: reason.to_string(),
        })
        .await
        .map_err(|status| call_failed(&status, server))?
        .into_inner();
    let local = |at: Option<&prost_types::Timestamp>| {
        at.and_then(instant)
            .map(|at| {
                at.with_timezone(&vietnam_time())
                    .format("%Y-%m-%d %H:%M %:z")
                    .to_string()
            })
            .unwrap_or_default()
    };
    writeln!(
        io::stdout().lock(),
        "reopened period {} for {} until {}\n  reason       {}\n  reopened by  {} at {}",
        reopening.period_code,
        reopening.agency_code,
        local(reopening.until.as_ref()),
        reopening.reason,
        reopening.reopened_by,
        local(reopening.reopened_at.as_ref()),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `pressdx review accept|return`: records the decision with its reasons ("field: text" or
/// "text"), and prints the review.
pub async fn decide(
    submission: i64,
    decision: ReviewDecision,
    reasons: &[String],
    server: &ServerArgs,
) -> CliResult {
    let reasons = reasons
        .iter()
        .map(|text| match text.split_once(": ") {
            Some((field, reason)) if field.starts_with("report.") && !field.contains(' ') => {
                ReviewReason {
                    field: field.to_string(),
                    reason: reason.to_string(),
                }
            }
            _ => ReviewReason {
                field: String::new(),
                reason: text.clone(),
            },
        })
        .collect();
    let mut client = ReviewServiceClient::new(connect(server).await?);
    let review = client
        .review_submission(ReviewSubmissionRequest {
            submission_id: submission,
            decision: decision.into(),
            reasons,
        })
        .await
        .map_err(|status| call_failed(&status, server))?
        .into_inner();
    let out = &mut io::stdout().lock();
    let verb = match review.decision() {
        ReviewDecision::Return => "returned",
        _ => "accepted",
    };
    writeln!(
        out,
        "{verb} submission {} ({} {} revision {}), by {}",
        review.submission_id,
        review.agency_code,
        review.period_code,
        review.revision,
        review.reviewed_by
    )?;
    for reason in &review.reasons {
        if reason.field.is_empty() {
            writeln!(out, "  {}", reason.reason)?;
        } else {
            writeln!(out, "  {}: {}", reason.field, reason.reason)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
