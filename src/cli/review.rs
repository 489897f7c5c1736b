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
use crate::proto::ReopenPeriodRequest;
use crate::proto::review_service_client::ReviewServiceClient;

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
