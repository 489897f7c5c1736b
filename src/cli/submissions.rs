//! `pressdx submit` and `pressdx submissions list`: client commands that talk to a running server.

use std::io::{self, Write};
use std::process::ExitCode;

use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::client::connect;
use super::diagnosis::call_failed;
use super::{CliResult, EXIT_REFUSED, ReportFile, output};
use crate::api::convert::instant;
use crate::config::{OutputFormat, ReviewStateArg, ServerArgs, SubmitArgs};
use crate::domain::period::vietnam_time;
use crate::proto::submission_service_client::SubmissionServiceClient;
use crate::proto::{
    ListSubmissionsRequest, ListSubmissionsResponse, ReviewDecision, ReviewState, Submission,
    SubmissionReceipt, Timeliness, Warning,
};

pub async fn submit(args: SubmitArgs) -> CliResult {
    let file = ReportFile::read(&args.file)?;
    let request = file.into_request(args.request_id, args.validate_only);
    let mut client = SubmissionServiceClient::new(connect(&args.server).await?);
    match client.submit_report(request).await {
        Ok(response) => {
            print_receipt(&mut io::stdout().lock(), &response.into_inner())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(status) if matches!(status.code(), Code::InvalidArgument | Code::AlreadyExists) => {
            print_refusal("refused", &status);
            Ok(ExitCode::from(EXIT_REFUSED))
        }
        Err(status) => Err(call_failed(&status, &args.server).into()),
    }
}

/// Prints on stderr why a report was refused, after `heading`: the code and message, the reason,
/// and every field violation with its path.
pub(super) fn print_refusal(heading: &str, status: &Status) {
    eprintln!("{heading} ({:?}): {}", status.code(), status.message());
    let details = status.get_error_details();
    if let Some(info) = details.error_info() {
        eprintln!("  reason: {}", info.reason);
    }
    if let Some(bad_request) = details.bad_request() {
        for violation in &bad_request.field_violations {
            eprintln!("  - {}: {}", violation.field, violation.description);
        }
    }
}

/// An instant as people in Vietnam read it: "2025-11-14 16:59:00 +07:00".
fn vietnam_local_time(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp
        .and_then(instant)
        .map(|instant| {
            instant
                .with_timezone(&vietnam_time())
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string()
        })
        .unwrap_or_default()
}

fn print_receipt(out: &mut impl Write, receipt: &SubmissionReceipt) -> io::Result<()> {
    let when = |timestamp: &Option<prost_types::Timestamp>| vietnam_local_time(timestamp.as_ref());
    let headline = match (receipt.validated_only, receipt.replayed) {
        (true, false) => "valid (validate only: nothing stored)",
        (true, true) => {
            "valid (validate only: nothing stored); sent, it would replay this earlier receipt"
        }
        (false, true) => {
            "already accepted under this request id: original receipt, nothing new stored"
        }
        (false, false) => "accepted",
    };
    writeln!(out, "{headline}")?;
    if receipt.submission_id != 0 {
        writeln!(out, "  submission   {}", receipt.submission_id)?;
    }
    writeln!(out, "  agency       {}", receipt.agency_code)?;
    writeln!(out, "  period       {}", receipt.period_code)?;
    writeln!(out, "  revision     {}", receipt.revision)?;
    writeln!(out, "  received     {}", when(&receipt.received_at))?;
    let timeliness = match receipt.timeliness() {
        Timeliness::OnTime => "on time",
        Timeliness::Late => "LATE",
        Timeliness::Unspecified => "?",
    };
    writeln!(
        out,
        "  deadline     {} ({timeliness})",
        when(&receipt.deadline)
    )?;
    writeln!(out, "  content hash {}", receipt.content_hash)?;
    writeln!(out, "  request id   {}", receipt.request_id)?;
    if receipt.replayed && receipt.latest_revision > receipt.revision {
        writeln!(
            out,
            "note: revision {} was sent since, and it is the one that counts. To make this \
             report the latest, send it again under a new request id (--request-id NEW-ID).",
            receipt.latest_revision
        )?;
    }
    print_warnings(out, &receipt.warnings)?;
    Ok(())
}

/// The plausibility warnings of a report, one per line with the field and the rule: never a
/// refusal, what to look at twice.
fn print_warnings(out: &mut impl Write, warnings: &[Warning]) -> io::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "warnings ({}; the report is accepted all the same, check these figures):",
        warnings.len()
    )?;
    for warning in warnings {
        writeln!(
            out,
            "  - {} [{}]: {}",
            warning.field, warning.rule, warning.message
        )?;
    }
    Ok(())
}

/// Which submissions `pressdx submissions list` asks for.
pub struct Filter {
    pub agency: Option<String>,
    pub period: Option<String>,
    pub latest_only: bool,
    pub review_state: Option<ReviewStateArg>,
    /// Only submissions with at least one plausibility warning.
    pub with_warnings: bool,
}

pub async fn list(filter: Filter, output: OutputFormat, server: &ServerArgs) -> CliResult {
    let mut client = SubmissionServiceClient::new(connect(server).await?);
    let mut request = ListSubmissionsRequest {
        agency_code: filter.agency.unwrap_or_default(),
        period_code: filter.period.unwrap_or_default(),
        latest_only: filter.latest_only,
        page_size: 500,
        page_token: String::new(),
        review_state: filter
            .review_state
            .map_or(ReviewState::Unspecified, ReviewStateArg::to_proto)
            .into(),
        with_warnings: filter.with_warnings,
    };
    let mut submissions = Vec::new();
    loop {
        let page = client
            .list_submissions(request.clone())
            .await
            .map_err(|status| call_failed(&status, server))?
            .into_inner();
        submissions.extend(page.submissions);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    // Every page as one answer: one JSON document, one CSV table.
    let everything = ListSubmissionsResponse {
        submissions,
        next_page_token: String::new(),
    };
    let out = &mut io::stdout().lock();
    const TYPE: &str = "pressdx.v1.ListSubmissionsResponse";
    match output {
        OutputFormat::Table => print_submissions(out, &everything.submissions)?,
        OutputFormat::Json => output::write_json(out, &everything, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &everything, TYPE, "submissions")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Latest or superseded, and what the province decided about it, if it did.
fn status_in_words(submission: &Submission) -> String {
    let standing = if submission.superseded {
        "superseded"
    } else {
        "latest"
    };
    match submission.review.as_ref().map(|review| review.decision()) {
        Some(ReviewDecision::Accept) => format!("{standing}, accepted"),
        Some(ReviewDecision::Return) => format!("{standing}, returned"),
        _ => standing.to_string(),
    }
}

fn print_submissions(out: &mut impl Write, submissions: &[Submission]) -> io::Result<()> {
    writeln!(
        out,
        "{:>8}  {:<28} {:<6} {:>3}  {:<25} {:<7} {:<12} {:<20} warnings",
        "id", "agency", "period", "rev", "received", "timely", "hash", "status"
    )?;
    for submission in submissions {
        let received = vietnam_local_time(submission.received_at.as_ref());
        let timely = match submission.timeliness() {
            Timeliness::Late => "late",
            _ => "on time",
        };
        let hash = submission.content_hash.trim_start_matches("sha256:");
        writeln!(
            out,
            "{:>8}  {:<28} {:<6} {:>3}  {:<25} {:<7} {:<12} {:<20} {}",
            submission.submission_id,
            submission.agency_code,
            submission.period_code,
            submission.revision,
            received,
            timely,
            &hash[..12.min(hash.len())],
            status_in_words(submission),
            submission
                .warnings
                .iter()
                .map(|warning| warning.rule.as_str())
                .collect::<Vec<_>>()
                .join(",")
        )?;
        if let Some(review) = &submission.review {
            for reason in &review.reasons {
                let field = if reason.field.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", reason.field)
                };
                writeln!(out, "{:>10}{field}{}", "", reason.reason)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_prints_its_warnings_after_it() {
        let receipt = SubmissionReceipt {
            submission_id: 7,
            agency_code: "bao-nam-dinh".into(),
            warnings: vec![Warning {
                field: "report.revenue_vnd".into(),
                rule: "revenue_factor".into(),
                message: "revenue_vnd is 4000, more than 3 times the 1000 reported for period \
                          2023: please check the figure"
                    .into(),
            }],
            ..Default::default()
        };
        let mut out = Vec::new();
        print_receipt(&mut out, &receipt).unwrap();
        let text = String::from_utf8(out).unwrap();
        let (before, after) = text.split_once("warnings (1;").expect(&text);
        assert!(before.starts_with("accepted") && before.contains("submission   7"));
        assert!(after.contains("  - report.revenue_vnd [revenue_factor]: revenue_vnd is 4000"));

        let mut out = Vec::new();
        print_receipt(&mut out, &SubmissionReceipt::default()).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("warnings"));
    }
}
