//! `pressdx review`: the province's checks on its agencies' reports, over ReviewService.

use std::io::{self, Write};
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};

use super::client::{Connection, connect};
use super::diagnosis::call_failed;
use super::tokens::{parse_duration, parse_instant};
use super::{CliResult, EXIT_REFUSED};
use crate::api::convert::{instant, timestamp};
use crate::config::ServerArgs;
use crate::domain::period::vietnam_time;
use crate::proto::catalog_service_client::CatalogServiceClient;
use crate::proto::review_service_client::ReviewServiceClient;
use crate::proto::{
    ListPeriodsRequest, ReopenPeriodRequest, ReviewDecision, ReviewReason, ReviewSubmissionRequest,
};

/// Until when `pressdx review reopen` reopens a period.
pub enum Until {
    /// `--until`: an instant, a date or a duration from now.
    At(String),
    /// `--for`: a duration from the period's closing, or from now once it has closed.
    For(String),
}

/// `Until`, read.
enum Given {
    At(DateTime<Utc>),
    For(Duration),
}

/// `pressdx review reopen`: reopens a closed period for one agency, and prints the reopening.
pub async fn reopen(
    agency: &str,
    period: &str,
    until: Until,
    reason: &str,
    server: &ServerArgs,
) -> CliResult {
    // What was given is checked before anything is asked of the server.
    let given = match &until {
        Until::At(text) => parse_instant(text).map(Given::At),
        Until::For(text) => parse_duration(text)
            .map(Given::For)
            .ok_or_else(|| format!("{text:?} is not a duration (7d, 12h)")),
    };
    let given = match given {
        Ok(given) => given,
        Err(message) => {
            let flag = match until {
                Until::At(_) => "--until",
                Until::For(_) => "--for",
            };
            eprintln!("{flag}: {message}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    let channel = connect(server).await?;
    let until = match given {
        Given::At(at) => at,
        // A reopening must end after the period closes and after now: counted from the later
        // of the two, the same words work before the closing and after it. A period the
        // catalogue does not have, or that never closes, is counted from now, and the server
        // names what is wrong with it.
        Given::For(duration) => {
            let closes_at = closing(channel.clone(), period, server).await?;
            closes_at.map_or(Utc::now(), |closes_at| closes_at.max(Utc::now())) + duration
        }
    };
    let mut client = ReviewServiceClient::new(channel);
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

/// When the catalogue closes `period`, if it has that period and closes it.
async fn closing(
    channel: Connection,
    period: &str,
    server: &ServerArgs,
) -> Result<Option<DateTime<Utc>>, Box<dyn std::error::Error>> {
    let mut catalog = CatalogServiceClient::new(channel);
    let mut request = ListPeriodsRequest {
        page_size: 1000,
        page_token: String::new(),
    };
    loop {
        let page = catalog
            .list_periods(request.clone())
            .await
            .map_err(|status| call_failed(&status, server))?
            .into_inner();
        if let Some(found) = page
            .periods
            .iter()
            .find(|found| found.code == period.trim())
        {
            return Ok(found.closes_at.as_ref().and_then(instant));
        }
        if page.next_page_token.is_empty() {
            return Ok(None);
        }
        request.page_token = page.next_page_token;
    }
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
